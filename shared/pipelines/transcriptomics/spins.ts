/**
 * The spin stages: candidate spins drawn in batches (a Distributed Map child per batch), then
 * resolved once, in spin order, into each region set's final spins (duplicates of an earlier spin
 * redrawn from their own stream). A candidate depends only on (geometry, method, seed, k), so the
 * spin sets are identical for any batch size.
 */
import type { TaskEnv } from '../../runtime/task.ts';
import { resolveSpins, spinCandidate, spinGeometry, type SpinGeometry } from '../../transcriptomics/spin.ts';
import { keys, loadContext, nullSeed } from './context.ts';
import type { TxContext } from './context.ts';

/** One batch of candidate spins of one region set ('pls' or 'corr-<i>'). */
export interface SpinItem {
  set: string;
  index: number;
  start: number;
  count: number;
}

/** Candidate spins per batch when params.resamplesPerBatch is not given (≈ 1 s of Váša assignments at 200 regions). */
export const DEFAULT_SPINS_PER_BATCH = 1000;

/** The region sets that get spins: the PLS regions, then each correlation's regions. */
export function spinSets(ctx: TxContext): { name: string; coords: number[]; hemi: number[] }[] {
  if (!ctx.coords || !ctx.hemi || ctx.job.params.nulls.spins <= 0) return [];
  return [{ name: 'pls', coords: ctx.coords, hemi: ctx.hemi }, ...ctx.correlations.map((c, i) => ({ name: `corr-${i}`, coords: c.coords!, hemi: c.hemi! }))];
}

/** Every candidate batch of every region set. */
export function spinItems(ctx: TxContext): SpinItem[] {
  const total = ctx.job.params.nulls.spins;
  const per = ctx.job.params.resamplesPerBatch ?? DEFAULT_SPINS_PER_BATCH;
  const out: SpinItem[] = [];
  for (const s of spinSets(ctx)) for (let start = 0, index = 0; start < total; start += per, index++) out.push({ set: s.name, index, start, count: Math.min(per, total - start) });
  return out;
}

function geometryOf(ctx: TxContext, set: string): SpinGeometry {
  const s = spinSets(ctx).find((x) => x.name === set);
  if (!s) throw new Error(`no spin region set '${set}' in this job`);
  return spinGeometry(s.coords, s.hemi, 'inputs.centroids');
}

/** Stored candidates: `count` draw counts, then count × n resampling indices (int32). */
function encodeCandidates(c: { idx: Int32Array; draws: number }[], n: number): Uint8Array {
  const out = new Int32Array(c.length * (1 + n));
  c.forEach((x, k) => {
    out[k] = x.draws;
    out.set(x.idx, c.length + k * n);
  });
  return new Uint8Array(out.buffer);
}

function decodeCandidates(bytes: Uint8Array, count: number, n: number): { idx: Int32Array; draws: number }[] {
  const a = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (a.length !== count * (1 + n)) throw new Error(`spin candidates: expected ${count * (1 + n)} values, found ${a.length}`);
  return Array.from({ length: count }, (_, k) => ({ draws: a[k]!, idx: a.subarray(count + k * n, count + (k + 1) * n) }));
}

/** Draw the candidates of one batch and store them (skipped when already stored: a re-run resumes). */
export async function spinBatch(env: TaskEnv, contextKey: string, item: SpinItem): Promise<{ set: string; index: number; count: number }> {
  const ctx = await loadContext(env.store, contextKey);
  const key = keys.spinCandidates(ctx.workDir, item.set, item.index);
  if (!(await env.store.exists(key))) {
    const geom = geometryOf(ctx, item.set);
    const seed = nullSeed(ctx.job.seed, 'spin');
    const cands = [];
    for (let k = item.start; k < item.start + item.count; k++) cands.push(spinCandidate(geom, ctx.job.params.nulls.spinMethod, seed, k));
    await env.store.put(key, encodeCandidates(cands, geom.n));
  }
  return { set: item.set, index: item.index, count: item.count };
}

/** Resolve every set's candidates in spin order into its spins (keys.spins) and write spins/info.json. */
export async function resolveSpinSets(env: TaskEnv, contextKey: string): Promise<{ sets: number; spins: number }> {
  const ctx = await loadContext(env.store, contextKey);
  const items = spinItems(ctx);
  const seed = nullSeed(ctx.job.seed, 'spin');
  const info: Record<string, { regions: number; redrawn: number; duplicatesKept: number }> = {};
  for (const s of spinSets(ctx)) {
    const geom = geometryOf(ctx, s.name);
    const cands = [];
    for (const it of items.filter((i) => i.set === s.name)) cands.push(...decodeCandidates(await env.store.get(keys.spinCandidates(ctx.workDir, s.name, it.index)), it.count, geom.n));
    const set = resolveSpins(geom, ctx.job.params.nulls.spinMethod, seed, cands);
    await env.store.put(keys.spins(ctx.workDir, s.name), new Uint8Array(set.idx.buffer, set.idx.byteOffset, set.idx.byteLength));
    info[s.name] = { regions: set.n, redrawn: set.redrawn, duplicatesKept: set.duplicatesKept };
  }
  await env.store.put(keys.spinInfo(ctx.workDir), JSON.stringify(info));
  return { sets: Object.keys(info).length, spins: ctx.job.params.nulls.spins };
}
