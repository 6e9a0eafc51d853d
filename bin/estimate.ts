import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BudgetExceeded } from '../shared/errors.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { layoutFromEnv } from '../shared/jobs/layout.ts';
import type { CostEstimate } from '../shared/jobs/cost.ts';
import { validateJob } from '../shared/pipelines/validate.ts';
import { PIPELINES } from '../shared/pipelines/registry.ts';

/**
 * Validate the job against its inputs and run its plan step (in a scratch folder, so
 * nothing is written beside the job) and format the cost estimate the plan made —
 * also when the plan refuses the job as over budget.
 */
export async function estimateFor(jobUri: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'neuroburst-estimate-'));
  try {
    const env = { store: new LocalStore(scratch), layout: layoutFromEnv() };
    const v = await validateJob(env, jobUri);
    const ctx = JSON.parse(await env.store.getText(v.context)) as { jobId: string; workDir: string; job: { budget: { maxUsd: number; maxConcurrency: number } } };
    try {
      await PIPELINES[v.pipeline]!.plan(env, v.context);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
    }
    const est = JSON.parse(await env.store.getText(`${ctx.workDir}/estimate.json`)) as CostEstimate;
    const lines = [
      `job ${ctx.jobId} (${v.pipeline})`,
      'stage                 shards   ms/shard',
      ...est.stages.map((s) => `${s.stage.padEnd(20)} ${String(s.shards).padStart(7)} ${s.msPerShard.toFixed(0).padStart(10)}`),
      `Lambda ${est.lambdaGbSeconds.toFixed(2)} GB-s = $${est.lambdaUsd.toFixed(5)}; requests $${est.requestsUsd.toFixed(6)}; ` +
        `${est.stateTransitions} state transitions = $${est.stepFunctionsUsd.toFixed(5)}; S3 $${est.s3Usd.toFixed(6)}`,
      `total $${est.totalUsd.toFixed(4)} (budget $${ctx.job.budget.maxUsd}${est.totalUsd > ctx.job.budget.maxUsd ? ': OVER BUDGET, the job would be refused' : ''}); ` +
        `projected wall time ${est.wallSeconds.toFixed(1)} s at concurrency ${ctx.job.budget.maxConcurrency}`,
    ];
    return lines.join('\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
