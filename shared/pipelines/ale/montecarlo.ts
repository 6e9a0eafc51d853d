import type { TaskEnv } from '../../runtime/task.ts';
import { kernelsFor } from '../../ale/kernel.ts';
import { AleMonteCarlo } from '../../ale/montecarlo.ts';
import { MC_B_STREAM } from '../../ale/contrast.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import { asBytes } from '../common/bytes.ts';
import type { ObservedSummary } from './observe.ts';

export interface BatchShard {
  index: number;
  k0: number;
  k1: number;
  /** which coordinate set ('B' = inputs.coordinates2); absent = A */
  set?: 'A' | 'B';
}

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
  const experiments = isB ? ctx.experiments2! : ctx.experiments;
  const threshold = isB ? obs.b!.clusterFormingAle : obs.clusterFormingAle;
  const grid = await loadGrid(ctx);
  const kernels = kernelsFor(experiments.map((e) => e.sampleSize), grid.voxelMm);
  const mc = new AleMonteCarlo(grid, kernels, experiments.map((e) => e.foci.length), threshold);
  const res = mc.run(ctx.job.seed, shard.k0, shard.k1, undefined, isB ? MC_B_STREAM : 0);
  await env.store.put(out, asBytes(res));
  return { index: shard.index, skipped: false };
}
