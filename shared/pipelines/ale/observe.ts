import type { TaskEnv } from '../../runtime/task.ts';
import { observeAle } from '../../ale/analysis.ts';
import { keys, loadContext, loadGrid } from './context.ts';

export interface ObservedSummary {
  clusterFormingAle: number;
  maxAle: number;
  nBins: number;
}

/** The observed analysis: fixes the cluster-forming ALE threshold every Monte-Carlo shard uses. */
export async function observe(env: TaskEnv, contextKey: string): Promise<ObservedSummary> {
  const ctx = await loadContext(env.store, contextKey);
  const key = keys.observed(ctx.workDir);
  if (await env.store.exists(key)) return JSON.parse(await env.store.getText(key)) as ObservedSummary;
  const grid = await loadGrid(ctx);
  const obs = observeAle(grid, ctx.experiments, ctx.job.params.coordinateToVoxel, ctx.job.params.clusterFormingP);
  let maxAle = 0;
  for (const v of grid.maskIndex) if (obs.ale[v]! > maxAle) maxAle = obs.ale[v]!;
  const summary: ObservedSummary = { clusterFormingAle: obs.clusterFormingAle, maxAle, nBins: obs.nul.nBins };
  await env.store.put(key, JSON.stringify(summary));
  return summary;
}
