/**
 * The one permutation-inference stage of every pipeline that runs a voxelwise permutation
 * test (glm `inference.permutation`, netmap `specificity.permutation`): one parameter schema
 * with one documented default, the batch plan, the batch shard and the pooling of batches.
 * A pipeline supplies only how it builds its PermutationSetup (design, data, mask) and where
 * its batches live.
 */
import { z } from 'zod';
import type { Store } from '../../storage/index.ts';
import { STATISTICS, observe, poolBatches, runBatch, type BatchResult, type PermutationSetup } from '../../permutation/engine.ts';
import { PERMUTATION_CEILING, batchesOf, type PermutationOutcome, type PermutationParams } from '../../permutation/inference.ts';
import { summarise } from '../../permutation/summary.ts';
import { batchDone, readBatch, writeBatch } from '../../permutation/batch-io.ts';

/**
 * Cluster-forming voxel p when a job gives neither `clusterFormingP` nor `clusterFormingT` and
 * the pipeline has no voxel-level p of its own (glm uses its `inference.grf.voxelP`, whose
 * default is this same value).
 */
export const DEFAULT_CLUSTER_FORMING_P = 0.005;

export const permutationSchema = z
  .object({
    n: z
      .number()
      .int()
      .min(2)
      .max(PERMUTATION_CEILING, `at most ${PERMUTATION_CEILING} permutations`)
      .default(5000)
      .describe('permutations including the identity; all distinct relabellings are enumerated when there are fewer'),
    statistics: z
      .array(z.enum(STATISTICS))
      .min(1)
      .default(['maxT', 'clusterExtent', 'clusterMass', 'tfce'])
      .describe('maxT (voxelwise FWE), clusterExtent, clusterMass, tfce'),
    clusterFormingP: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe(`cluster-forming voxel p (two-tailed: split over both tails); default the pipeline's voxel-level p (glm: inference.grf.voxelP), else ${DEFAULT_CLUSTER_FORMING_P}`),
    clusterFormingT: z.number().positive().optional().describe('cluster-forming threshold given as t instead of p'),
    tfce: z
      .object({
        H: z.number().positive().default(2),
        E: z.number().positive().default(0.5),
        dh: z.number().positive().optional().describe('height step; default max/100 of each map'),
      })
      .strict()
      .default({ H: 2, E: 0.5 }),
    connectivity: z.union([z.literal(6), z.literal(18), z.literal(26)]).default(26).describe('neighbourhood of clusters and TFCE'),
    twoTailed: z.boolean().default(true).describe('statistics on |z| (clusters/TFCE on |z|); false tests the contrast direction only'),
    exchangeabilityBlocks: z.string().min(1).optional().describe('participants column: permutations stay within its blocks'),
    batchSize: z.number().int().min(1).max(100000).optional().describe('permutations per shard (never changes a result)'),
  })
  .strict()
  .refine((p) => p.clusterFormingP === undefined || p.clusterFormingT === undefined, 'give clusterFormingP or clusterFormingT, not both');

export type PermutationJobParams = z.infer<typeof permutationSchema>;

/** Engine parameters of a job's permutation block; `voxelP` is the pipeline's own voxel-level p, if it has one. */
export function permutationParams(perm: PermutationJobParams, seed: number, voxelP = DEFAULT_CLUSTER_FORMING_P): PermutationParams {
  return {
    n: perm.n,
    seed,
    statistics: perm.statistics,
    twoTailed: perm.twoTailed,
    clusterFormingP: perm.clusterFormingT === undefined ? (perm.clusterFormingP ?? voxelP) : undefined,
    clusterFormingT: perm.clusterFormingT,
    tfce: { H: perm.tfce.H, E: perm.tfce.E, dh: perm.tfce.dh },
    connectivity: perm.connectivity,
    batchSize: perm.batchSize,
  };
}

/** Permutations per batch: forced, else about one batch per allowed concurrent shard (at least 10). */
export function permutationBatches(count: number, maxConcurrency: number, batchSize?: number): { batchSize: number; batches: { index: number; k0: number; k1: number }[] } {
  const size = batchSize ?? Math.max(10, Math.ceil(count / Math.max(1, maxConcurrency)));
  return { batchSize: size, batches: batchesOf(count, size) };
}

export interface PermutationBatchShard {
  index: number;
  k0: number;
  k1: number;
}

/** One batch of one test: permutations k0 … k1−1; skipped when it starts beyond the test's count or its output exists. */
export async function runPermutationBatch(store: Store, key: string, setup: PermutationSetup, shard: PermutationBatchShard): Promise<boolean> {
  if (shard.k0 >= setup.plan.count || (await batchDone(store, key))) return false;
  await writeBatch(store, key, runBatch(setup, shard.k0, shard.k1, observe(setup)));
  return true;
}

/** The observed statistics and the pooled null of one test, batches read in index order. */
export async function poolPermutationBatches(store: Store, setup: PermutationSetup, batches: PermutationBatchShard[], keyOf: (index: number) => string): Promise<PermutationOutcome> {
  const observed = observe(setup);
  const results: BatchResult[] = [];
  for (const b of batches) {
    if (b.k0 >= setup.plan.count) break;
    results.push(await readBatch(store, keyOf(b.index), setup.lattice.V));
  }
  const pooled = poolBatches(results, setup.lattice.V, setup.plan.count);
  return { setup, observed, summary: summarise(setup, observed, pooled) };
}
