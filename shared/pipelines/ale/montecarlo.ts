import type { TaskEnv } from '../../runtime/task.ts';
import { kernelsFor } from '../../ale/kernel.ts';
import { AleMonteCarlo } from '../../ale/montecarlo.ts';
import { asBytes, keys, loadContext, loadGrid } from './context.ts';
import type { ObservedSummary } from './observe.ts';

export interface BatchShard {
  index: number;
  k0: number;
  k1: number;
}

/** Iterations k0..k1-1 of the Monte-Carlo FWE null: [maxAle, maxSize, maxMass] per iteration. */
export async function monteCarloBatch(env: TaskEnv, contextKey: string, shard: BatchShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const out = keys.batch(ctx.workDir, shard.index);
  if (await env.store.exists(out)) return { index: shard.index, skipped: true };
  const obs = JSON.parse(await env.store.getText(keys.observed(ctx.workDir))) as ObservedSummary;
  const grid = await loadGrid(ctx);
  const kernels = kernelsFor(ctx.experiments.map((e) => e.sampleSize), grid.voxelMm);
  const mc = new AleMonteCarlo(grid, kernels, ctx.experiments.map((e) => e.foci.length), obs.clusterFormingAle);
  const res = mc.run(ctx.job.seed, shard.k0, shard.k1);
  await env.store.put(out, asBytes(res));
  return { index: shard.index, skipped: false };
}
