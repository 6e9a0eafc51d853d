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
  /** batch b of control set c (set 0 keeps the single-set key) */
  batch: (workDir: string, b: number, set = 0) => `${workDir}/specificity/${set ? `s${set}-` : ''}b${String(b).padStart(6, '0')}`,
};

/** The control sets of the job, in context order (inputs.controls names, then `random`). */
export function controlSets(ctx: NetmapContext): string[] {
  const sets: string[] = [];
  for (const s of ctx.studies) if (s.set === 'control' && !sets.includes(s.controlSet ?? 'controls')) sets.push(s.controlSet ?? 'controls');
  return sets;
}

/** Studies first, then the controls of one set (each in context order). */
function design(ctx: NetmapContext, set: string): { M: Float64Array; n: number; order: number[] } {
  const order = [...ctx.studies.keys()].filter((k) => ctx.studies[k]!.set === 'study');
  for (const k of ctx.studies.keys()) if (ctx.studies[k]!.set === 'control' && (ctx.studies[k]!.controlSet ?? 'controls') === set) order.push(k);
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

export interface SpecShard extends PermutationBatchShard {
  /** control set index (controlSets order) */
  set: number;
  /** batch index within its set */
  batch: number;
}

/** One permutation test per control set; the batches of all sets form one Distributed Map item list. */
export function planSpecificity(ctx: NetmapContext): { sets: { name: string; count: number; batchSize: number; batches: PermutationBatchShard[] }[]; batches: SpecShard[]; batchSize: number } | undefined {
  const params = specificityParams(ctx);
  if (!params) return undefined;
  const sets = controlSets(ctx).map((name) => {
    const { M } = design(ctx, name);
    const plan = planShuffles(shuffleSet('permute', M, undefined, 2), params.n, params.seed);
    return { name, count: plan.count, ...permutationBatches(plan.count, ctx.job.budget.maxConcurrency, params.batchSize) };
  });
  const batches: SpecShard[] = [];
  sets.forEach((s, set) => s.batches.forEach((b) => batches.push({ ...b, index: batches.length, set, batch: b.index })));
  return { sets, batches, batchSize: Math.max(...sets.map((s) => s.batchSize)) };
}

async function setupOf(env: TaskEnv, ctx: NetmapContext, params: PermutationParams, set: string) {
  const maps = await loadSeedMaps(env, ctx);
  const { M, n, order } = design(ctx, set);
  const V = ctx.voxels;
  const src = ctx.job.params.specificity!.map === 't' ? maps.t : maps.meanZ;
  const Y = new Float32Array(n * V);
  order.forEach((k, i) => Y.set(src.subarray(k * V, (k + 1) * V), i * V));
  const mask = new Uint8Array(await env.store.get(keys.connectomeMask(ctx.workDir)));
  const lattice = buildLattice(mask, ctx.grid.dims, params.connectivity);
  return permutationSetup({ M, n, p: 2, contrast: Float64Array.of(1, -1), kind: 'permute', Y, mask, dims: ctx.grid.dims }, params, lattice);
}

export async function specificityBatch(env: TaskEnv, contextKey: string, shard: SpecShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const params = specificityParams(ctx);
  if (!params) return { index: shard.index, skipped: true };
  const name = controlSets(ctx)[shard.set]!;
  const key = specKeys.batch(ctx.workDir, shard.batch, shard.set);
  return { index: shard.index, skipped: !(await runPermutationBatch(env.store, key, await setupOf(env, ctx, params, name), { index: shard.batch, k0: shard.k0, k1: shard.k1 })) };
}

/** The pooled test of every control set, in controlSets order. */
export async function specificityOutcomes(env: TaskEnv, ctx: NetmapContext): Promise<{ name: string; outcome: PermutationOutcome }[]> {
  const params = specificityParams(ctx);
  if (!params) return [];
  const plan = planSpecificity(ctx)!;
  const out: { name: string; outcome: PermutationOutcome }[] = [];
  for (const [set, s] of plan.sets.entries()) {
    out.push({ name: s.name, outcome: await poolPermutationBatches(env.store, await setupOf(env, ctx, params, s.name), s.batches, (b) => specKeys.batch(ctx.workDir, b, set)) });
  }
  return out;
}
