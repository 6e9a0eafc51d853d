import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NeuroburstError } from '../shared/errors.ts';
import type { ErrorRecord } from '../shared/runtime/failure.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { layoutFromEnv } from '../shared/jobs/layout.ts';
import type { CostEstimate } from '../shared/jobs/cost.ts';
import { validateJob } from '../shared/pipelines/validate.ts';
import { PIPELINES } from '../shared/pipelines/registry.ts';

/** Why a stage of a pipeline can have no shards, by `<pipeline>/<stage>`. */
const ZERO_SHARD_REASONS: Record<string, string> = {
  'reho/reho': 'no subject is left after motion QC (every subject excluded), so no ReHo slab is computed',
  'reho/maps': 'no subject is left after motion QC, so no subject map is written',
  'reho/signals': 'no included subject takes its WM/CSF signals from tissue masks',
  'reho/group-prepare': 'no subject is left for the group analysis',
  'glm/permutations': 'no permutation inference requested (params.inference.permutation)',
  'ale/jackknife': 'params.jackknife is off',
  'ale/contrast': 'no second coordinate set (inputs.coordinates2) to contrast',
  'netmap/specificity': 'no control seed sets for the specificity test',
};

export interface ZeroShardStage {
  stage: string;
  reason: string;
}

export interface EstimateReport {
  jobId: string;
  pipeline: string;
  estimate: CostEstimate;
  budget: { maxUsd: number; maxConcurrency: number };
  overBudget: boolean;
  /** stages with 0 shards and why */
  zeroShardStages: ZeroShardStage[];
  /** the named error the plan step raised after writing its estimate (the run would fail with it) */
  wouldFail?: ErrorRecord;
}

/**
 * Validate the job against its inputs and run its plan step (in a scratch folder, so
 * nothing is written beside the job) and report the cost estimate the plan made — also when
 * the plan then refuses the job (over budget, or nothing to analyse).
 */
export async function estimateJob(jobUri: string): Promise<EstimateReport> {
  const scratch = mkdtempSync(join(tmpdir(), 'neuroburst-estimate-'));
  try {
    const env = { store: new LocalStore(scratch), layout: layoutFromEnv() };
    const v = await validateJob(env, jobUri);
    const ctx = JSON.parse(await env.store.getText(v.context)) as { jobId: string; workDir: string; job: { budget: { maxUsd: number; maxConcurrency: number } } };
    let wouldFail: ErrorRecord | undefined;
    try {
      await PIPELINES[v.pipeline]!.plan(env, v.context);
    } catch (e) {
      // a named refusal after the estimate was written (BudgetExceeded, EmptyData, …) is part of the answer
      if (!(e instanceof NeuroburstError) || !(await env.store.exists(`${ctx.workDir}/estimate.json`))) throw e;
      wouldFail = e.toJSON();
    }
    const est = JSON.parse(await env.store.getText(`${ctx.workDir}/estimate.json`)) as CostEstimate;
    const zeroShardStages = est.stages
      .filter((s) => s.shards === 0)
      .map((s) => ({ stage: s.stage, reason: ZERO_SHARD_REASONS[`${v.pipeline}/${s.stage}`] ?? 'nothing to compute in this stage for this job; it is skipped' }));
    return {
      jobId: ctx.jobId,
      pipeline: v.pipeline,
      estimate: est,
      budget: ctx.job.budget,
      overBudget: est.totalUsd > ctx.job.budget.maxUsd,
      zeroShardStages,
      ...(wouldFail ? { wouldFail } : {}),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function formatEstimate(r: EstimateReport): string {
  const est = r.estimate;
  const lines = [
    `job ${r.jobId} (${r.pipeline})`,
    'stage                 shards   ms/shard',
    ...est.stages.map((s) => `${s.stage.padEnd(20)} ${String(s.shards).padStart(7)} ${s.msPerShard.toFixed(0).padStart(10)}`),
    ...r.zeroShardStages.map((z) => `  ${z.stage}: 0 shards — ${z.reason}`),
    `Lambda ${est.lambdaGbSeconds.toFixed(2)} GB-s = $${est.lambdaUsd.toFixed(5)}; requests $${est.requestsUsd.toFixed(6)}; ` +
      `${est.stateTransitions} state transitions = $${est.stepFunctionsUsd.toFixed(5)}; S3 $${est.s3Usd.toFixed(6)}`,
    `total $${est.totalUsd.toFixed(4)} (budget $${r.budget.maxUsd}${r.overBudget ? ': OVER BUDGET, the job would be refused' : ''}); ` +
      `projected wall time ${est.wallSeconds.toFixed(1)} s at concurrency ${r.budget.maxConcurrency}`,
  ];
  if (r.wouldFail && r.wouldFail.error !== 'BudgetExceeded') lines.push(`the run would fail: ${r.wouldFail.error}: ${r.wouldFail.message}`);
  return lines.join('\n');
}

/** The estimate as text (see estimateJob). */
export async function estimateFor(jobUri: string): Promise<string> {
  return formatEstimate(await estimateJob(jobUri));
}
