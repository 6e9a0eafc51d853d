/**
 * The tails every pipeline shares: the plan step's estimate-and-enforce, the reducer's output
 * writer (every file it writes is listed), the job's cost from the workers' metrics, and
 * result.json written last (a results folder without it is not a complete result).
 */
import { actualCost, enforceBudget, type CostEstimate, type TaskType } from '../../jobs/cost.ts';
import { readMetrics, type TaskEnv, type TaskMetrics } from '../../runtime/task.ts';
import { finishOutputs, type ReportOptions } from './outputs.ts';
import { removeStaleWork } from './context.ts';

/** Where every pipeline keeps its estimate and its workers' metrics, under its work folder. */
export const jobKeys = {
  estimate: (workDir: string) => `${workDir}/estimate.json`,
  metrics: (workDir: string) => `${workDir}/metrics/`,
};

/** Persist the estimate (estimate.json, read again by the reducer), then refuse a job over budget (BudgetExceeded). */
export async function estimateAndEnforce(env: TaskEnv, workDir: string, estimate: CostEstimate, maxUsd: number): Promise<CostEstimate> {
  await env.store.put(jobKeys.estimate(workDir), JSON.stringify(estimate, null, 2));
  enforceBudget(estimate, maxUsd);
  return estimate;
}

/** The result record's cost block. */
export interface JobCost {
  estimatedUsd: number;
  actualUsd: number;
  lambdaGbSeconds: number;
  stateTransitions: number;
  invocations: number;
  /** intermediates this run found from earlier attempts and reused (verified) or recomputed (failed verification); reused work is billed at its earlier cost */
  resume: { skipped: number; recomputed: number };
}

/**
 * Cost of the run: billed ms of every worker (metrics under the work folder, plus `extra`
 * from elsewhere, e.g. an embedded step's), this reducer's own time so far, and the state
 * transitions counted on the workflow graph.
 */
export async function jobCost(env: TaskEnv, workDir: string, startedMs: number, stateTransitions: number, extra: TaskMetrics[] = []): Promise<JobCost> {
  const estimate = JSON.parse(await env.store.getText(jobKeys.estimate(workDir))) as CostEstimate;
  const metrics: { task: TaskType; billedMs: number; skipped?: number; recomputed?: number }[] = [...(await readMetrics(env.store, jobKeys.metrics(workDir))), ...extra];
  const resume = { skipped: 0, recomputed: 0 };
  for (const m of metrics) {
    resume.skipped += m.skipped ?? 0;
    resume.recomputed += m.recomputed ?? 0;
  }
  metrics.push({ task: 'reduce', billedMs: Math.ceil(performance.now() - startedMs) });
  const actual = actualCost(metrics, stateTransitions);
  return { estimatedUsd: estimate.totalUsd, actualUsd: actual.usd, lambdaGbSeconds: actual.lambdaGbSeconds, stateTransitions, invocations: actual.invocations, resume };
}

/** Writes result files (maps with sidecars, tables as CSV and TSV) under resultsDir and lists each one in `outputs`, in order. */
export { outputWriter, type MapInfo, type OutputWriter, type ReportOptions } from './outputs.ts';

/**
 * The end of every job (common/outputs.ts): sidecars for maps without one,
 * dataset_description.json, report.html by the report library (`report` adds the job's URI
 * for input checksums and the pipeline's extras), then result.json last with its outputs list;
 * then (locally) remove the job's stale work folders; returns its key.
 */
export async function finishJob<R extends { outputs: string[] }>(env: TaskEnv, resultsDir: string, result: R, outputs: string[], report: ReportOptions = {}): Promise<{ result: string }> {
  const done = await finishOutputs(env, resultsDir, result, outputs, report);
  const { jobId, specHash } = result as { jobId?: unknown; specHash?: unknown };
  if (typeof jobId === 'string' && typeof specHash === 'string') await removeStaleWork(env, jobId, specHash);
  return done;
}
