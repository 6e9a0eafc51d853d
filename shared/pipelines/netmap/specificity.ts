/**
 * Specificity of the studies' networks: a voxelwise two-sample permutation test of the
 * studies' maps (t or mean z) against the control studies' maps over the connectome
 * voxels — the permutation engine of the glm pipeline with label exchange between the
 * two sets (design: one indicator column per set, contrast studies − controls), fanned
 * out in batches like any permutation job.
 */
import type { TaskEnv } from '../../runtime/task.ts';
import { buildLattice } from '../../permutation/lattice.ts';
import { permutationSetup, type PermutationOutcome, type PermutationParams } from '../../permutation/inference.ts';
import { permutationBatches, permutationParams, poolPermutationBatches, runPermutationBatch, type PermutationBatchShard } from '../common/permutation.ts';
import { planShuffles, shuffleSet } from '../../permutation/shuffles.ts';
import { keys, loadContext } from './context.ts';
import type { NetmapContext } from './context.ts';
import { loadSeedMaps } from './seed-maps.ts';

export const specKeys = {
  batch: (workDir: string, b: number) => `${workDir}/specificity/b${String(b).padStart(6, '0')}`,
};

function design(ctx: NetmapContext): { M: Float64Array; n: number; order: number[] } {
  // studies first, then controls (each in context order)
  const order = [...ctx.studies.keys()].sort((a, b) => (ctx.studies[a]!.set === ctx.studies[b]!.set ? a - b : ctx.studies[a]!.set === 'study' ? -1 : 1));
  const n = order.length;
  const M = new Float64Array(n * 2);
  order.forEach((k, i) => (M[i * 2 + (ctx.studies[k]!.set === 'study' ? 0 : 1)] = 1));
  return { M, n, order };
}

export function specificityParams(ctx: NetmapContext): PermutationParams | undefined {
  const spec = ctx.job.params.specificity;
  if (!spec) return undefined;
  return permutationParams(spec.permutation, ctx.job.seed);
}

export function planSpecificity(ctx: NetmapContext): { count: number; batchSize: number; batches: { index: number; k0: number; k1: number }[] } | undefined {
  const params = specificityParams(ctx);
  if (!params) return undefined;
  const { M } = design(ctx);
  const plan = planShuffles(shuffleSet('permute', M, undefined, 2), params.n, params.seed);
  return { count: plan.count, ...permutationBatches(plan.count, ctx.job.budget.maxConcurrency, params.batchSize) };
}

async function setupOf(env: TaskEnv, ctx: NetmapContext, params: PermutationParams) {
  const maps = await loadSeedMaps(env, ctx);
  const { M, n, order } = design(ctx);
  const V = ctx.voxels;
  const src = ctx.job.params.specificity!.map === 't' ? maps.t : maps.meanZ;
  const Y = new Float32Array(n * V);
  order.forEach((k, i) => Y.set(src.subarray(k * V, (k + 1) * V), i * V));
  const mask = new Uint8Array(await env.store.get(keys.connectomeMask(ctx.workDir)));
  const lattice = buildLattice(mask, ctx.grid.dims, params.connectivity);
  return permutationSetup({ M, n, p: 2, contrast: Float64Array.of(1, -1), kind: 'permute', Y, mask, dims: ctx.grid.dims }, params, lattice);
}

export type SpecShard = PermutationBatchShard;

export async function specificityBatch(env: TaskEnv, contextKey: string, shard: SpecShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const params = specificityParams(ctx);
  const key = specKeys.batch(ctx.workDir, shard.index);
  if (!params) return { index: shard.index, skipped: true };
  return { index: shard.index, skipped: !(await runPermutationBatch(env.store, key, await setupOf(env, ctx, params), shard)) };
}

export async function specificityOutcome(env: TaskEnv, ctx: NetmapContext): Promise<PermutationOutcome | undefined> {
  const params = specificityParams(ctx);
  if (!params) return undefined;
  return poolPermutationBatches(env.store, await setupOf(env, ctx, params), planSpecificity(ctx)!.batches, (b) => specKeys.batch(ctx.workDir, b));
}
