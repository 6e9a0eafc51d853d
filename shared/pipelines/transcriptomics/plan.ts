import { estimateCost } from '../../jobs/cost.ts';
import type { CostEstimate } from '../../jobs/cost.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { estimateAndEnforce } from '../common/finish.ts';
import { fanOut, type FanOut } from '../common/fanout.ts';
import { generateSpins, spinGeometry } from '../../transcriptomics/spin.ts';
import { keys, loadContext, nullItems, nullSeed } from './context.ts';
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
  const spinSets = ctx.coords ? [n, ...ctx.correlations.map((c) => c.regions.length)] : [];
  stages.push({ stage: 'validate', task: 'validate' as const, shards: 1, msPerShard: 200 + n * p * 2e-4 });
  stages.push({ stage: 'plan', task: 'txPlan' as const, shards: 1, msPerShard: 10 + spinSets.reduce((a, m) => a + nulls.spins * spinMs(m), 0) });
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
  return estimateCost(stages, { puts: items.length + 12, gets: items.length * 3 + 8 }, ctx.job.budget.maxConcurrency, undefined, txCounts(items.length).stateTransitions);
}

export interface TxPlan {
  /** the null batches (Distributed Map); not present when no null is requested */
  nulls: FanOut;
  maxConcurrency: number;
  estimatedUsd: number;
}

/** Estimate (refusing a job over budget), draw the spins once for every region set, write the null batches. */
export async function planTranscriptomics(env: TaskEnv, contextKey: string): Promise<TxPlan> {
  const ctx = await loadContext(env.store, contextKey);
  const est = await estimateAndEnforce(env, ctx.workDir, estimateTranscriptomics(ctx), ctx.job.budget.maxUsd);
  const nulls = ctx.job.params.nulls;
  const info: Record<string, { regions: number; redrawn: number; duplicatesKept: number }> = {};
  if (ctx.coords && ctx.hemi && nulls.spins > 0) {
    const seed = nullSeed(ctx.job.seed, 'spin');
    const sets: [string, number[], number[]][] = [['pls', ctx.coords, ctx.hemi]];
    ctx.correlations.forEach((c, i) => sets.push([`corr-${i}`, c.coords!, c.hemi!]));
    for (const [name, coords, hemi] of sets) {
      const key = keys.spins(ctx.workDir, name);
      const set = generateSpins(spinGeometry(coords, hemi, 'inputs.centroids'), nulls.spinMethod, seed, nulls.spins);
      await env.store.put(key, new Uint8Array(set.idx.buffer, set.idx.byteOffset, set.idx.byteLength));
      info[name] = { regions: set.n, redrawn: set.redrawn, duplicatesKept: set.duplicatesKept };
    }
  }
  await env.store.put(keys.spinInfo(ctx.workDir), JSON.stringify(info));
  const items = nullItems(ctx);
  return {
    nulls: await fanOut(env.store, ctx.workDir, 'nulls', items),
    maxConcurrency: ctx.job.budget.maxConcurrency,
    estimatedUsd: est.totalUsd,
  };
}
