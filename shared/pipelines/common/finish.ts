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
  warnings: (workDir: string) => `${workDir}/warnings/`,
};

const STAGE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/**
 * Warnings: what a stage accepted but found suspicious (foci outside the mask, a level the
 * iterations cannot resolve, subjects dropped). Any stage records its own under the job's work
 * folder, `warnings/<stage>.json` (one file per stage or shard, e.g. "validation", "plan",
 * "slab-000003", so parallel shards never race; a resumed shard's file stays), and finishJob
 * appends every recorded warning, in key order and without duplicates, to result.json's
 * `warnings` (which the CLI summary prints). Recording an empty list removes the stage's file.
 */
export async function recordWarnings(env: TaskEnv, workDir: string, stage: string, warnings: readonly string[]): Promise<void> {
  if (!STAGE.test(stage)) throw new Error(`warning stage name ${JSON.stringify(stage)} is not a safe key part`);
  const key = `${jobKeys.warnings(workDir)}${stage}.json`;
  if (warnings.length === 0) await env.store.delete(key);
  else await env.store.put(key, JSON.stringify([...warnings]));
}

/** Every warning recorded under a work folder (key order, duplicates removed). */
export async function recordedWarnings(env: TaskEnv, workDir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const key of env.store.list(jobKeys.warnings(workDir))) {
    if (!key.endsWith('.json')) continue;
    const list = JSON.parse(await env.store.getText(key)) as unknown;
    if (Array.isArray(list)) for (const w of list) if (typeof w === 'string') out.push(w);
  }
  return [...new Set(out)];
}

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
 * for input checksums and the pipeline's extras), then result.json last with its outputs list
 * and the warnings the stages recorded (`recordWarnings`) appended to its `warnings`;
 * then (locally) remove the job's stale work folders; returns its key.
 */
export async function finishJob<R extends { outputs: string[] }>(env: TaskEnv, resultsDir: string, result: R, outputs: string[], report: ReportOptions = {}): Promise<{ result: string }> {
  const { jobId, specHash } = result as { jobId?: unknown; specHash?: unknown };
  const recorded = typeof jobId === 'string' && typeof specHash === 'string' ? await recordedWarnings(env, env.layout.work(jobId, specHash)) : [];
  if (recorded.length) {
    const own = (result as { warnings?: unknown }).warnings;
    const mine = Array.isArray(own) ? own.filter((w): w is string => typeof w === 'string') : [];
    result = { ...result, warnings: [...new Set([...mine, ...recorded])] };
  }
  const done = await finishOutputs(env, resultsDir, result, outputs, report);
  if (typeof jobId === 'string' && typeof specHash === 'string') await removeStaleWork(env, jobId, specHash);
  return done;
}
