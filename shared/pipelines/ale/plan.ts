import { enforceBudget, estimateCost } from '../../jobs/cost.ts';
import { estimateAndEnforce } from '../common/finish.ts';
import { aleCounts } from './workflow.ts';
import type { CostEstimate, StageEstimate } from '../../jobs/cost.ts';
import { fanOut, type FanOut } from '../common/fanout.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { aleKernel } from '../../ale/kernel.ts';
import { keys, loadContext } from './context.ts';
import type { AleContext } from './context.ts';
import { monteCarloItems, monteCarloList } from './montecarlo.ts';

/**
 * ms per kernel-box voxel of one Monte-Carlo iteration (one core's CPU time). Source: the bench
 * line "ALE Monte-Carlo iterations/s/core" on the development machine kind (2-vCPU Xeon VM),
 * pain dataset: 267 foci, 1.36 M kernel-box voxels, 1.5–2.0 ms per iteration = 1.4e-6 to 1.5e-6.
 */
export const ALE_MS_PER_BOX_VOXEL = 1.5e-6;
/**
 * Fixed ms of one Monte-Carlo batch beyond its iterations: reading the context and the observed
 * summary, writing its result, and (first batch on a thread or warm container only) the mask and
 * the simulator's buffers. Source: the pain job at 2,000 iterations in batches of 25 and of 100
 * (80 and 20 shards, same process, alternating runs): 0.45 s more process CPU for the 60 extra
 * shards, 7.5 ms each, the runner's share included — under 10 ms locally; 50 ms leaves room for
 * S3 round trips on Lambda (its per-invocation overhead is counted apart).
 */
export const ALE_MS_PER_BATCH = 50;
/** ms per grid voxel of the observed analysis (MA, ALE, histogram null; Reduce adds p and z) */
export const ALE_OBSERVE_MS_PER_VOXEL = 4e-4;

export function boxVoxelsPerIteration(ctx: AleContext): number {
  return ctx.experiments.reduce((a, e) => a + e.foci.length * aleKernel(e.sampleSize, ctx.grid.voxelMm).side ** 3, 0);
}

/** ms per MA value per label-exchange permutation (pooled sparse products on the domain). */
export const ALE_CONTRAST_MS_PER_MA_VALUE = 4e-6;

export function estimateAle(ctx: AleContext): CostEstimate {
  // the real grid of the mask (a 1 mm mask has about eight times the voxels of the 2 mm one)
  const nVox = ctx.grid.dims[0] * ctx.grid.dims[1] * ctx.grid.dims[2];
  const observeMs = nVox * ALE_OBSERVE_MS_PER_VOXEL;
  const msIter = boxVoxelsPerIteration(ctx) * ALE_MS_PER_BOX_VOXEL;
  const nb = ctx.batches.length;
  const iters = ctx.job.params.iterations;
  const hasB = !!ctx.experiments2;
  const stages: StageEstimate[] = [
    { stage: 'validate', task: 'validate', shards: 1, msPerShard: 500 },
    { stage: 'plan', task: 'plan', shards: 1, msPerShard: 10 },
    { stage: 'observe', task: 'aleObserve', shards: 1, msPerShard: observeMs * (hasB ? 2 : 1) },
    // the Monte-Carlo fan-out's first item: the observed ALE, p and z maps
    { stage: 'observed-maps', task: 'aleMonteCarlo', shards: 1, msPerShard: observeMs },
    { stage: 'montecarlo', task: 'aleMonteCarlo', shards: nb, msPerShard: (iters / nb) * msIter + ALE_MS_PER_BATCH },
  ];
  if (hasB) {
    const msIterB = boxVoxelsPerIteration({ ...ctx, experiments: ctx.experiments2! }) * ALE_MS_PER_BOX_VOXEL;
    stages.push({ stage: 'montecarlo-b', task: 'aleMonteCarlo', shards: ctx.batchesB.length, msPerShard: (iters / ctx.batchesB.length) * msIterB + ALE_MS_PER_BATCH });
  }
  const nJ = ctx.jackknifeShards.length;
  // the workflow runs Threshold only for what needs its labels or domain (jackknife, contrast)
  if (nJ || hasB) stages.push({ stage: 'threshold', task: 'aleThreshold', shards: 1, msPerShard: observeMs * (hasB ? 2 : 1) });
  if (nJ) stages.push({ stage: 'jackknife', task: 'aleJackknife', shards: nJ, msPerShard: observeMs * 0.5 + (ctx.experiments.length / nJ) * nVox * 2e-5 });
  const nC = ctx.contrastBatches.length;
  if (nC) {
    // MA values on the domain are unknown before the thresholds: bound them by all MA values
    const maValues = boxVoxelsPerIteration(ctx) + boxVoxelsPerIteration({ ...ctx, experiments: ctx.experiments2! });
    const perm = ctx.job.params.contrast?.iterations ?? 0;
    stages.push({ stage: 'contrast', task: 'aleContrast', shards: nC, msPerShard: observeMs * 0.5 + (perm / nC) * maValues * ALE_CONTRAST_MS_PER_MA_VALUE });
  }
  stages.push({ stage: 'reduce', task: 'reduce', shards: 1, msPerShard: observeMs * (hasB ? 6 : 3) });
  const shards = monteCarloItems(ctx) + nJ + nC;
  const transitions = aleCounts({ MonteCarlo: { items: monteCarloItems(ctx) }, Jackknife: { items: nJ }, Contrast: { items: nC } }).stateTransitions;
  return estimateCost(stages, { puts: shards * 2 + 30, gets: shards * 4 + 30 }, ctx.job.budget.maxConcurrency, undefined, transitions);
}

export interface AlePlanResult {
  /** Monte-Carlo shards of set A, then of set B (`set: 'B'`) for a contrast (Distributed Map items) */
  batches: FanOut;
  /** leave-one-out shards (params.jackknife; else not present) */
  jackknifeShards: FanOut;
  /** contrast permutation batches (inputs.coordinates2; else not present) */
  contrastBatches: FanOut;
  maxConcurrency: number;
  estimatedUsd: number;
}

/** Estimate the cost (refusing a job over budget) and list the Monte-Carlo batches. */
export async function planAle(env: TaskEnv, contextKey: string): Promise<AlePlanResult> {
  const ctx = await loadContext(env.store, contextKey);
  const est = await estimateAndEnforce(env, ctx.workDir, estimateAle(ctx), ctx.job.budget.maxUsd);
  return {
    batches: await fanOut(env.store, ctx.workDir, 'montecarlo', monteCarloList(ctx)),
    jackknifeShards: await fanOut(env.store, ctx.workDir, 'jackknife', ctx.jackknifeShards),
    contrastBatches: await fanOut(env.store, ctx.workDir, 'contrast', ctx.contrastBatches),
    maxConcurrency: ctx.job.budget.maxConcurrency,
    estimatedUsd: est.totalUsd,
  };
}
