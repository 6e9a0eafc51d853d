import type { TaskEnv } from '../../runtime/task.ts';
import { observeAle } from '../../ale/analysis.ts';
import type { AleGrid } from '../../ale/ale.ts';
import type { ExperimentInput } from '../../ale/analysis.ts';
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

function summarise(grid: AleGrid, experiments: ExperimentInput[], ctx: AleContext): SetSummary {
  const obs = observeAle(grid, experiments, ctx.job.params.coordinateToVoxel, ctx.job.params.clusterFormingP);
  let maxAle = 0;
  for (const v of grid.maskIndex) if (obs.ale[v]! > maxAle) maxAle = obs.ale[v]!;
  return { clusterFormingAle: obs.clusterFormingAle, maxAle, nBins: obs.nul.nBins };
}

/** The observed analysis (of both sets for a contrast): fixes the cluster-forming ALE threshold every Monte-Carlo shard uses. */
export async function observe(env: TaskEnv, contextKey: string): Promise<ObservedSummary> {
  const ctx = await loadContext(env.store, contextKey);
  const key = keys.observed(ctx.workDir);
  if (await env.store.exists(key)) return JSON.parse(await env.store.getText(key)) as ObservedSummary;
  const grid = await loadGrid(ctx);
  const summary: ObservedSummary = summarise(grid, ctx.experiments, ctx);
  if (ctx.experiments2) summary.b = summarise(grid, ctx.experiments2, ctx);
  await env.store.put(key, JSON.stringify(summary));
  return summary;
}
