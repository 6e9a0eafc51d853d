import { enforceBudget, estimateCost } from '../../jobs/cost.ts';
import type { CostEstimate } from '../../jobs/cost.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { aleKernel } from '../../ale/kernel.ts';
import { keys, loadContext } from './context.ts';
import type { AleContext } from './context.ts';

/**
 * ms per kernel-box voxel of one Monte-Carlo iteration (single core, development
 * machine, pain dataset: 267 foci × 17^3-19^3 voxels ≈ 22 ms per iteration).
 */
export const ALE_MS_PER_BOX_VOXEL = 1.7e-5;
/** ms per grid voxel of the observed analysis (MA, ALE, histogram null, p, z) */
export const ALE_OBSERVE_MS_PER_VOXEL = 4e-4;

export function boxVoxelsPerIteration(ctx: AleContext): number {
  return ctx.experiments.reduce((a, e) => a + e.foci.length * aleKernel(e.sampleSize, 2).side ** 3, 0);
}

export function estimateAle(ctx: AleContext): CostEstimate {
  const nVox = 91 * 109 * 91;
  const msIter = boxVoxelsPerIteration(ctx) * ALE_MS_PER_BOX_VOXEL;
  const nb = ctx.batches.length;
  const iters = ctx.job.params.iterations;
  return estimateCost(
    [
      { stage: 'validate', task: 'validate', shards: 1, msPerShard: 500 },
      { stage: 'plan', task: 'plan', shards: 1, msPerShard: 10 },
      { stage: 'observe', task: 'aleObserve', shards: 1, msPerShard: nVox * ALE_OBSERVE_MS_PER_VOXEL },
      { stage: 'montecarlo', task: 'aleMonteCarlo', shards: nb, msPerShard: (iters / nb) * msIter + 300 },
      { stage: 'reduce', task: 'reduce', shards: 1, msPerShard: nVox * ALE_OBSERVE_MS_PER_VOXEL * 3 },
    ],
    { puts: nb * 2 + 20, gets: nb * 4 + 20 },
    ctx.job.budget.maxConcurrency,
  );
}

export interface AlePlanResult {
  batches: { index: number; k0: number; k1: number }[];
  maxConcurrency: number;
  estimatedUsd: number;
}

/** Estimate the cost (refusing a job over budget) and list the Monte-Carlo batches. */
export async function planAle(env: TaskEnv, contextKey: string): Promise<AlePlanResult> {
  const ctx = await loadContext(env.store, contextKey);
  const est = estimateAle(ctx);
  await env.store.put(keys.estimate(ctx.workDir), JSON.stringify(est, null, 2));
  enforceBudget(est, ctx.job.budget.maxUsd);
  return { batches: ctx.batches, maxConcurrency: ctx.job.budget.maxConcurrency, estimatedUsd: est.totalUsd };
}
