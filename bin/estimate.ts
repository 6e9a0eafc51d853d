import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../shared/storage/index.ts';
import { layoutFromEnv } from '../shared/jobs/layout.ts';
import { validateJob } from '../shared/pipelines/validate.ts';
import { loadContext } from '../shared/pipelines/glm/context.ts';
import { estimateGlm } from '../shared/pipelines/glm/plan.ts';

/** Validate the job against its inputs (in a scratch folder) and format its cost estimate. */
export async function estimateFor(jobUri: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'neuroburst-estimate-'));
  try {
    const env = { store: new LocalStore(scratch), layout: layoutFromEnv() };
    const v = await validateJob(env, jobUri);
    const ctx = await loadContext(env.store, v.context);
    const est = estimateGlm(ctx);
    const lines = [
      `job ${ctx.jobId} (${ctx.job.pipeline}): ${ctx.subjects.length} subjects, grid ${ctx.grid.dims.join('×')}, ${ctx.models.length} contrast(s)`,
      'stage        shards   ms/shard',
      ...est.stages.map((s) => `${s.stage.padEnd(12)} ${String(s.shards).padStart(6)} ${s.msPerShard.toFixed(0).padStart(10)}`),
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
