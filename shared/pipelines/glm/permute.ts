/**
 * Permutation inference inside the glm pipeline: the mask step packs the in-mask
 * data once (`packData`), the plan lists batches of permutation indices
 * (`planPermutations`), each batch shard runs `permuteBatch`, and the reducer pools
 * the batches in index order (`permutationOutcome`). Permutation k of a contrast
 * depends only on (job seed, k), so any batch size gives the same result.
 */
import { InvalidParticipants } from '../../errors.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { buildLattice, type Lattice } from '../../permutation/lattice.ts';
import { interestRegressor } from '../../permutation/model.ts';
import { independentRows } from '../../stats/fcontrast.ts';
import { planShuffles, shuffleSet, type ShuffleKind } from '../../permutation/shuffles.ts';
import { permutationSetup, type PermutationParams, type PermutationOutcome } from '../../permutation/inference.ts';
import { batchDone } from '../../permutation/batch-io.ts';
import { asBytes, f32 } from '../common/bytes.ts';
import { permutationBatches, permutationParams as stageParams, poolPermutationBatches, runPermutationBatch, type PermutationBatchShard } from '../common/permutation.ts';
import { keys, loadContext } from './context.ts';
import type { GlmContext } from './context.ts';
import type { ModelSpec } from './design.ts';

export const permKeys = {
  packed: (workDir: string) => `${workDir}/packed.f32`,
  /** batch b of model m (batch-io adds .json / .u32) */
  batch: (workDir: string, m: number, b: number) => `${workDir}/perm/m${m}/b${String(b).padStart(6, '0')}`,
};

export function permutationParams(ctx: GlmContext): PermutationParams | undefined {
  const perm = ctx.job.params.inference.permutation;
  if (!perm) return undefined;
  return stageParams(perm, ctx.job.seed, ctx.job.params.inference.grf.voxelP);
}

/** Exchangeability block of every participant (validation checks the column). */
export function blockLabels(rows: Record<string, string>[], column: string | undefined, source: string): string[] | undefined {
  if (!column) return undefined;
  return rows.map((row, i) => {
    const b = row[column];
    if (b === undefined) throw new InvalidParticipants(`${source} has no column "${column}" (inference.permutation.exchangeabilityBlocks)`, 'params.inference.permutation.exchangeabilityBlocks');
    if (b.trim() === '') throw new InvalidParticipants(`${source} row ${i + 1}: empty ${column} (exchangeability block)`, source);
    return b;
  });
}

/** Relabelling scheme of a model: label exchange, or sign flipping when the effect of interest is constant across subjects (one-sample designs, with or without covariates). */
function shufflesOf(spec: ModelSpec, ctx: GlmContext, params: PermutationParams) {
  const { interest } = interestRegressor(Float64Array.from(spec.X), spec.n, spec.p, Float64Array.from(spec.contrast), spec.name);
  const blocks = ctx.blocks ? spec.subjects.map((s) => ctx.blocks![s]!) : undefined;
  // an F of rank ≥ 2 has an effect space no constant regressor spans: labels are exchanged
  const rankOne = spec.kind !== 'F' || independentRows(spec.rows!, spec.p).length === 1;
  const constant = rankOne && interest.every((x) => Math.abs(x - interest[0]!) <= 1e-9 * Math.max(1e-300, Math.abs(interest[0]!)));
  const kind: ShuffleKind = constant ? 'flip' : 'permute';
  const set = constant ? shuffleSet('flip', interest, blocks) : shuffleSet('permute', Float64Array.from(spec.X), blocks, spec.p);
  return { kind, blocks, plan: planShuffles(set, params.n, params.seed) };
}

export interface PermutationPlan {
  /** permutations per model (identity included) */
  counts: number[];
  exhaustive: boolean[];
  batchSize: number;
  batches: { index: number; k0: number; k1: number }[];
}

export function planPermutations(ctx: GlmContext): PermutationPlan {
  const params = permutationParams(ctx);
  if (!params) return { counts: [], exhaustive: [], batchSize: 0, batches: [] };
  const plans = ctx.models.map((m) => shufflesOf(m, ctx, params).plan);
  const counts = plans.map((p) => p.count);
  const { batchSize, batches } = permutationBatches(Math.max(...counts), ctx.job.budget.maxConcurrency, params.batchSize);
  return { counts, exhaustive: plans.map((p) => p.exhaustive), batchSize, batches };
}

/** Pack every subject's in-mask values into one subject-major float32 matrix (mask step). */
export async function packData(env: TaskEnv, ctx: GlmContext, mask: Uint8Array): Promise<void> {
  let V = 0;
  for (let g = 0; g < mask.length; g++) if (mask[g]) V++;
  const n = ctx.subjects.length;
  const Y = new Float32Array(n * V);
  for (let i = 0; i < n; i++) {
    const y = f32(await env.store.get(keys.prepared(ctx.workDir, i)));
    let q = i * V;
    for (let g = 0; g < mask.length; g++) if (mask[g]) Y[q++] = y[g]!;
  }
  await env.store.put(permKeys.packed(ctx.workDir), asBytes(Y));
}

async function setupFor(env: TaskEnv, ctx: GlmContext, m: number, lattice: Lattice, packed: Float32Array, mask: Uint8Array, params: PermutationParams) {
  const spec = ctx.models[m]!;
  const V = lattice.V;
  const all = spec.n === ctx.subjects.length && spec.subjects.every((s, k) => s === k);
  const Y = all ? packed : new Float32Array(spec.n * V);
  if (!all) spec.subjects.forEach((s, k) => Y.set(packed.subarray(s * V, (s + 1) * V), k * V));
  const { kind, blocks } = shufflesOf(spec, ctx, params);
  return permutationSetup(
    { M: Float64Array.from(spec.X), n: spec.n, p: spec.p, contrast: Float64Array.from(spec.contrast), ...(spec.kind === 'F' ? { fRows: spec.rows!.map((r) => Float64Array.from(r)) } : {}), kind, Y, mask, dims: ctx.grid.dims },
    { ...params, blocks },
    lattice,
  );
}

async function loadInputs(env: TaskEnv, ctx: GlmContext, params: PermutationParams) {
  const mask = new Uint8Array(await env.store.get(keys.mask(ctx.workDir)));
  const lattice = buildLattice(mask, ctx.grid.dims, params.connectivity);
  const packed = f32(await env.store.get(permKeys.packed(ctx.workDir)));
  return { mask, lattice, packed };
}

export type PermBatchShard = PermutationBatchShard;

/** One shard: permutations k0 … k1−1 of every contrast; writes maxima and exceedance counts. */
export async function permuteBatch(env: TaskEnv, contextKey: string, shard: PermBatchShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const params = permutationParams(ctx);
  if (!params) return { index: shard.index, skipped: true };
  const done = await Promise.all(ctx.models.map((_, m) => batchDone(env.store, permKeys.batch(ctx.workDir, m, shard.index))));
  if (done.every(Boolean)) return { index: shard.index, skipped: true };
  const { mask, lattice, packed } = await loadInputs(env, ctx, params);
  for (let m = 0; m < ctx.models.length; m++) {
    await runPermutationBatch(env.store, permKeys.batch(ctx.workDir, m, shard.index), await setupFor(env, ctx, m, lattice, packed, mask, params), shard);
  }
  return { index: shard.index, skipped: false };
}

/** Reducer: the observed statistics and the pooled null of model m. */
export async function permutationOutcome(env: TaskEnv, ctx: GlmContext, m: number): Promise<PermutationOutcome | undefined> {
  const params = permutationParams(ctx);
  if (!params) return undefined;
  const { mask, lattice, packed } = await loadInputs(env, ctx, params);
  const setup = await setupFor(env, ctx, m, lattice, packed, mask, params);
  return poolPermutationBatches(env.store, setup, planPermutations(ctx).batches, (b) => permKeys.batch(ctx.workDir, m, b));
}
