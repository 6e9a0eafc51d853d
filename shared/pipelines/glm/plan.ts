import { enforceBudget, estimateCost, SPEED } from '../../jobs/cost.ts';
import { estimateAndEnforce } from '../common/finish.ts';
import { glmCounts } from './workflow.ts';
import type { CostEstimate } from '../../jobs/cost.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { keys, loadContext } from './context.ts';
import type { GlmContext } from './context.ts';
import { MIN_SLABS, slabCount } from '../common/shards.ts';
import { planPermutations } from './permute.ts';
import { fanOut, type FanOut } from '../common/fanout.ts';
import { bucketKeyOf, writeItemList, type BucketKey } from '../../storage/items.ts';

export function estimateGlm(ctx: GlmContext): CostEstimate {
  const [nx, ny, nz] = ctx.grid.dims;
  const nVox = nx * ny * nz;
  const n = ctx.subjects.length;
  const maxC = ctx.job.budget.maxConcurrency;
  const nSlabs = slabCount(nVox, n, maxC, nz, ctx.job.params.slabs, MIN_SLABS);
  const colSubjects = ctx.models.reduce((a, m) => a + m.n * m.p, 0);
  const perm = planPermutations(ctx);
  const permStages = perm.batches.length
    ? [
        {
          stage: 'permutations',
          task: 'glmPermute' as const,
          shards: perm.batches.length,
          // each shard re-derives the observed statistics (one extra permutation) and reads the packed data
          msPerShard: (perm.batchSize + 1) * nVox * (colSubjects * SPEED.permMsPerVoxelSubjectColumn + ctx.models.length * SPEED.permMsPerVoxel) + nVox * n * SPEED.maskMsPerVoxelSubject,
        },
      ]
    : [];
  return estimateCost(
    [
      { stage: 'validate', task: 'validate', shards: 1, msPerShard: n * 20 },
      { stage: 'plan', task: 'plan', shards: 1, msPerShard: 10 },
      { stage: 'prepare', task: 'prepare', shards: n, msPerShard: nVox * SPEED.prepareMsPerVoxel },
      { stage: 'mask', task: 'mask', shards: 1, msPerShard: nVox * n * SPEED.maskMsPerVoxelSubject },
      { stage: 'slabs', task: 'glmSlab', shards: nSlabs, msPerShard: ((nVox / nSlabs) * colSubjects * SPEED.glmMsPerVoxelSubjectColumn) + (nVox / nSlabs) * n * 2e-6 },
      ...permStages,
      { stage: 'reduce', task: 'reduce', shards: 1, msPerShard: nVox * ctx.models.length * SPEED.reduceMsPerVoxel * (perm.batches.length ? 3 : 1) },
    ],
    {
      puts: n + nSlabs * (1 + 2 * ctx.models.length) + 10 + 4 * ctx.models.length + perm.batches.length * 2 * ctx.models.length + 1,
      gets: n * 2 + nSlabs * (n + 1) + nSlabs * ctx.models.length * 2 + 10 + perm.batches.length * (3 + 2 * ctx.models.length),
    },
    maxC,
    undefined,
    glmCounts({ PrepareSubjects: { items: n }, FitSlabs: { items: nSlabs }, Permute: { items: perm.batches.length } }).stateTransitions,
  );
}

export interface PlanResult {
  /**
   * Permutation batches for the Distributed Map: the item list written to storage
   * (ItemReader), shards per child execution, and the ResultWriter prefix.
   */
  permutations: { present: boolean; items?: BucketKey; batches: number; itemsPerWorker: number; resultsPrefix?: string };
  /** the per-subject prepare shards (Distributed Map) */
  subjects: FanOut;
  maxConcurrency: number;
  estimatedUsd: number;
}

/** Estimate the cost, refuse a job over budget, and list the per-subject shards. */
export async function planGlm(env: TaskEnv, contextKey: string): Promise<PlanResult> {
  const ctx = await loadContext(env.store, contextKey);
  const est = await estimateAndEnforce(env, ctx.workDir, estimateGlm(ctx), ctx.job.budget.maxUsd);
  const batches = planPermutations(ctx).batches;
  const permutations = batches.length
    ? {
        present: true,
        items: await writeItemList(env.store, `${ctx.workDir}/items/permutations.json`, batches),
        batches: batches.length,
        itemsPerWorker: 1,
        resultsPrefix: bucketKeyOf(env.store, `${ctx.workDir}/map-runs/permutations`).key,
      }
    : { present: false, batches: 0, itemsPerWorker: 1 };
  return {
    subjects: await fanOut(env.store, ctx.workDir, 'subjects', ctx.subjects.map((_, i) => i)),
    permutations,
    maxConcurrency: ctx.job.budget.maxConcurrency,
    estimatedUsd: est.totalUsd,
  };
}
