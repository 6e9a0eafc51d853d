import type { TaskEnv } from '../../runtime/task.ts';
import type { Store } from '../../storage/index.ts';
import { aleStatMaps, observeAle, observeMa } from '../../ale/analysis.ts';
import { computeAle } from '../../ale/ale.ts';
import type { AleGrid } from '../../ale/ale.ts';
import type { ExperimentInput, ObservedAle } from '../../ale/analysis.ts';
import { aleNull, clusterFormingAle, nullFromWeights } from '../../ale/null.ts';
import { asBytes, f64 } from '../common/bytes.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import type { AleContext } from './context.ts';

export interface SetSummary {
  clusterFormingAle: number;
  maxAle: number;
  nBins: number;
}

export interface ObservedSummary extends SetSummary {
  /** set B of a contrast */
  b?: SetSummary;
}

/** The observed maps of one set the stages after the Monte-Carlo null use (the MA maps are not kept). */
export type ObservedMaps = Pick<ObservedAle, 'ale' | 'nul' | 'p' | 'z' | 'clusterFormingAle'>;

/**
 * What the Monte-Carlo shards need of one set (the cluster-forming threshold, from MA maps,
 * ALE and the histogram null; no p or z maps), and what Observe keeps for the later stages:
 * the ALE values on the mask (mask order) followed by the null's histogram weights, Float64.
 */
function observeSet(grid: AleGrid, experiments: ExperimentInput[], ctx: AleContext): { summary: SetSummary; stored: Float64Array } {
  const { ma } = observeMa(grid, experiments, ctx.job.params.coordinateToVoxel);
  const ale = computeAle(grid, ma);
  const nul = aleNull(ma, grid.maskIndex.length);
  const nMask = grid.maskIndex.length;
  const stored = new Float64Array(nMask + nul.nBins);
  let maxAle = 0;
  for (let i = 0; i < nMask; i++) {
    const a = ale[grid.maskIndex[i]!]!;
    stored[i] = a;
    if (a > maxAle) maxAle = a;
  }
  stored.set(nul.weights, nMask);
  return { summary: { clusterFormingAle: clusterFormingAle(nul, ctx.job.params.clusterFormingP), maxAle, nBins: nul.nBins }, stored };
}

/** The observed analysis (of both sets for a contrast): fixes the cluster-forming ALE threshold every Monte-Carlo shard uses. */
export async function observe(env: TaskEnv, contextKey: string): Promise<ObservedSummary> {
  const ctx = await loadContext(env.store, contextKey);
  const key = keys.observed(ctx.workDir);
  if (await env.store.exists(key)) return JSON.parse(await env.store.getText(key)) as ObservedSummary;
  const grid = await loadGrid(ctx);
  const a = observeSet(grid, ctx.experiments, ctx);
  await env.store.put(keys.observedSet(ctx.workDir, 'A'), asBytes(a.stored));
  const summary: ObservedSummary = a.summary;
  if (ctx.experiments2) {
    const b = observeSet(grid, ctx.experiments2, ctx);
    await env.store.put(keys.observedSet(ctx.workDir, 'B'), asBytes(b.stored));
    summary.b = b.summary;
  }
  // last: its presence says the stage is done
  await env.store.put(key, JSON.stringify(summary));
  return summary;
}

/**
 * The observed ALE, null, p and z of one set from what Observe kept (the same numbers as
 * observeAle: the ALE values and null weights are stored exactly, p and z are derived by the
 * same functions); recomputed when the work folder holds no stored copy of the right size.
 */
export async function loadObserved(store: Store, ctx: AleContext, grid: AleGrid, set: 'A' | 'B'): Promise<ObservedMaps> {
  const experiments = set === 'A' ? ctx.experiments : ctx.experiments2!;
  const key = keys.observedSet(ctx.workDir, set);
  const nMask = grid.maskIndex.length;
  const stored = (await store.exists(key)) ? f64(await store.get(key)) : undefined;
  if (!stored || stored.length <= nMask) return observeAle(grid, experiments, ctx.job.params.coordinateToVoxel, ctx.job.params.clusterFormingP);
  const ale = new Float64Array(grid.mask.length);
  for (let i = 0; i < nMask; i++) ale[grid.maskIndex[i]!] = stored[i]!;
  const nul = nullFromWeights(stored.slice(nMask));
  return { ale, nul, ...aleStatMaps(grid, ale, nul), clusterFormingAle: clusterFormingAle(nul, ctx.job.params.clusterFormingP) };
}
