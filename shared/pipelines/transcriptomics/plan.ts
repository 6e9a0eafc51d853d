import { estimateCost } from '../../jobs/cost.ts';
import type { CostEstimate } from '../../jobs/cost.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { estimateAndEnforce } from '../common/finish.ts';
import { fanOut, type FanOut } from '../common/fanout.ts';
import { keys, loadContext, nullItems } from './context.ts';
import { spinItems, spinSets } from './spins.ts';
import type { TxContext } from './context.ts';
import { txCounts } from './workflow.ts';

/**
 * Single-core speed constants of the transcriptomics kernels (ms), measured by
 * bench/transcriptomics.ts: one multiply–add of the tiled product ≈ 0.5 ns.
 */
export const TX_SPEED = {
  msPerMac: 5e-7,
  /** Váša assignment per spin ≈ m² log m comparisons */
  msPerSpinRegion2: 2e-5,
  /** Hungarian per spin ≈ m³ */
  msPerSpinRegion3: 2e-6,
};

export function estimateTranscriptomics(ctx: TxContext): CostEstimate {
  const { n, p } = ctx;
  const nulls = ctx.job.params.nulls;
  const items = nullItems(ctx);
  const stages = [];
  const spinMs = (m: number) => (nulls.spinMethod === 'hungarian' ? m * m * m * TX_SPEED.msPerSpinRegion3 : m * m * Math.log2(m + 1) * TX_SPEED.msPerSpinRegion2);
  const spins = spinItems(ctx);
  const regionsOf = (set: string) => (set === 'pls' ? n : ctx.correlations[Number(set.slice(5))]!.regions.length);
  stages.push({ stage: 'validate', task: 'validate' as const, shards: 1, msPerShard: 200 + n * p * 2e-4 });
  stages.push({ stage: 'plan', task: 'plan' as const, shards: 1, msPerShard: 10 + items.length * 0.01 + spins.length * 0.01 });
  if (spins.length) {
    const spinMsTotal = spins.reduce((a, s) => a + s.count * spinMs(regionsOf(s.set)), 0);
    stages.push({ stage: 'spins', task: 'txSpins' as const, shards: spins.length, msPerShard: 50 + spinMsTotal / spins.length });
    stages.push({ stage: 'resolve-spins', task: 'txSpins' as const, shards: 1, msPerShard: 50 + spins.reduce((a, s) => a + s.count * regionsOf(s.set) * 1e-4, 0) });
  }
  const setup = n * n * p * TX_SPEED.msPerMac + n * p * 1e-4;
  const perResample: Record<string, number> = {
    perm: n * n * 2 * TX_SPEED.msPerMac,
    spin: n * n * 2 * TX_SPEED.msPerMac,
    boot: n * p * TX_SPEED.msPerMac + (n * n + 6 * p) * TX_SPEED.msPerMac * 2,
    genespin: n * p * TX_SPEED.msPerMac * 1.3,
  };
  for (const kind of ['perm', 'spin', 'boot', 'genespin']) {
    const its = items.filter((i) => i.kind === kind);
    if (!its.length) continue;
    const per = its.reduce((a, i) => a + i.count, 0) / its.length;
    stages.push({ stage: `nulls-${kind}`, task: 'txNulls' as const, shards: its.length, msPerShard: setup + per * perResample[kind]! });
  }
  stages.push({ stage: 'reduce', task: 'reduce' as const, shards: 1, msPerShard: 100 + items.length * 5 + p * 0.01 + ctx.correlations.length * nulls.spins * n * 1e-4 });
  return estimateCost(stages, { puts: items.length + spins.length + 14, gets: items.length * 3 + spins.length * 2 + 10 }, ctx.job.budget.maxConcurrency, undefined, txCounts(items.length, spins.length).stateTransitions);
}

export interface TxPlan {
  /** the candidate-spin batches (Distributed Map); not present without centroids or spins */
  spins: FanOut;
  /** the null batches (Distributed Map); not present when no null is requested */
  nulls: FanOut;
  maxConcurrency: number;
  estimatedUsd: number;
}

/** Estimate (refusing a job over budget); write the candidate-spin batches and the null batches. */
export async function planTranscriptomics(env: TaskEnv, contextKey: string): Promise<TxPlan> {
  const ctx = await loadContext(env.store, contextKey);
  const est = await estimateAndEnforce(env, ctx.workDir, estimateTranscriptomics(ctx), ctx.job.budget.maxUsd);
  // no spins: the spin stages are skipped, the reducer reads an empty record
  if (!spinSets(ctx).length) await env.store.put(keys.spinInfo(ctx.workDir), JSON.stringify({}));
  const items = nullItems(ctx);
  return {
    spins: await fanOut(env.store, ctx.workDir, 'spins', spinItems(ctx)),
    nulls: await fanOut(env.store, ctx.workDir, 'nulls', items),
    maxConcurrency: ctx.job.budget.maxConcurrency,
    estimatedUsd: est.totalUsd,
  };
}
