import type { TaskEnv } from '../../runtime/task.ts';
import { kernelsFor } from '../../ale/kernel.ts';
import { AleMonteCarlo } from '../../ale/montecarlo.ts';
import { MC_B_STREAM } from '../../ale/contrast.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import type { AleContext } from './context.ts';
import { asBytes } from '../common/bytes.ts';
import type { ObservedSummary } from './observe.ts';

export interface BatchShard {
  index: number;
  k0: number;
  k1: number;
  /** which coordinate set ('B' = inputs.coordinates2); absent = A */
  set?: 'A' | 'B';
}

/** The fan-out item that writes the observed maps (ALE, p, z), which need no null, while the batches run. */
export interface ObservedMapsItem {
  maps: 'observed';
}

/** An item of the Monte-Carlo fan-out: the observed maps first, then set A's batches, then set B's. */
export type MonteCarloItem = ObservedMapsItem | BatchShard;

export const isObservedMapsItem = (item: MonteCarloItem): item is ObservedMapsItem => (item as ObservedMapsItem).maps === 'observed';

/** The fan-out's items, in order: the observed maps first, so that a thread takes them up at once. */
export function monteCarloList(ctx: Pick<AleContext, 'batches' | 'batchesB'>): MonteCarloItem[] {
  return [{ maps: 'observed' }, ...ctx.batches.map((b) => ({ ...b, set: 'A' as const })), ...ctx.batchesB.map((b) => ({ ...b, set: 'B' as const }))];
}

export const monteCarloItems = (ctx: Pick<AleContext, 'batches' | 'batchesB'>): number => monteCarloList(ctx).length;

/** Item label of metrics and item times (set B's batches apart from set A's of the same index). */
export const monteCarloLabel = (item: MonteCarloItem): string => (isObservedMapsItem(item) ? 'observed-maps' : item.set === 'B' ? `batch-b-${item.index}` : `batch-${item.index}`);

/**
 * Iterations k0..k1-1 of the Monte-Carlo FWE null: [maxAle, maxSize, maxMass] per iteration.
 * Set A's iteration k draws from stream(seed, k), set B's from stream(seed, MC_B_STREAM + k).
 */
export async function monteCarloBatch(env: TaskEnv, contextKey: string, shard: BatchShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const isB = shard.set === 'B';
  const out = isB ? keys.batchB(ctx.workDir, shard.index) : keys.batch(ctx.workDir, shard.index);
  if (await env.store.exists(out)) return { index: shard.index, skipped: true };
  const obs = JSON.parse(await env.store.getText(keys.observed(ctx.workDir))) as ObservedSummary;
  const threshold = isB ? obs.b!.clusterFormingAle : obs.clusterFormingAle;
  const mc = await simulator(ctx, contextKey, isB, threshold);
  const res = mc.run(ctx.job.seed, shard.k0, shard.k1, undefined, isB ? MC_B_STREAM : 0);
  await env.store.put(out, asBytes(res));
  return { index: shard.index, skipped: false };
}

/**
 * The simulator of the last batch this thread ran, reused by the next batch of the same job and
 * coordinate set: the mask, kernels and work buffers are the same (the context key names a
 * content-addressed work folder, so the same key means the same inputs), and an iteration's
 * result depends only on (seed, k) — every iteration starts from cleared state — so reuse gives
 * the same numbers as a fresh simulator (tested). A warm Lambda container or local worker thread
 * then pays the mask read and the buffer allocation once, not once per batch.
 */
let last: { key: string; mc: AleMonteCarlo } | undefined;

async function simulator(ctx: AleContext, contextKey: string, isB: boolean, threshold: number): Promise<AleMonteCarlo> {
  const key = `${contextKey}\u0000${isB ? 'B' : 'A'}\u0000${threshold}`;
  if (last?.key === key) return last.mc;
  const experiments = isB ? ctx.experiments2! : ctx.experiments;
  const grid = await loadGrid(ctx);
  const kernels = kernelsFor(experiments.map((e) => e.sampleSize), grid.voxelMm);
  const mc = new AleMonteCarlo(grid, kernels, experiments.map((e) => e.foci.length), threshold);
  last = { key, mc };
  return mc;
}
