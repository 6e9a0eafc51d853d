/**
 * Running one job from the command line: options checked first, the job read and parsed
 * (a job that does not parse gets its error.json where the workflow's failure recorder would
 * put it), the workflow run locally, then a report of what happened — printed as text (the
 * result summary, or the named error and where its error.json is) or as one JSON object.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runLocal, storeSettings, useStore } from '../runner/local.ts';
import { recordFailure } from '../shared/runtime/failure.ts';
import type { ErrorRecord } from '../shared/runtime/failure.ts';
import { taskEnv } from '../shared/runtime/task.ts';
import { errorRecord } from '../shared/errors.ts';
import { parseJobText } from '../shared/jobs/parse.ts';
import { readUri } from '../shared/storage/index.ts';
import { EXIT, errorLine, exitCodeFor } from './exit-codes.ts';
import { parseThreads, prepareOutDir } from './options.ts';
import { formatSummary, summariseResult } from './summary.ts';
import type { RunSummary } from './summary.ts';
import { cloudAdvice, explainCloudError } from './cloud/setup-errors.ts';

export function jobUriOf(ref: string): string {
  return /^[a-z0-9]+:\/\//.test(ref) ? ref : pathToFileURL(resolve(ref)).href;
}

/** What `run --json` prints (and what the text output says). */
export interface RunReport {
  status: 'succeeded' | 'failed';
  exitCode: number;
  jobId?: string;
  pipeline?: string;
  seconds?: number;
  /** <out>/<jobId>/ */
  resultsDir?: string;
  /** result.json (success) */
  result?: string;
  summary?: RunSummary;
  /** the error (failure) and where its record is (null when none was written) */
  error?: ErrorRecord;
  errorRecord?: string | null;
  advice?: string;
}

export interface RunOptions {
  out: string;
  threads?: string;
  progress: boolean;
  json?: boolean;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Where the failure recorder put error.json for a job.json that did not parse: its own jobId's folder, else invalid-job/. */
function recordedErrorPath(outDir: string, text: string | undefined, record: ErrorRecord): string | null {
  let rawId: unknown;
  try {
    rawId = text === undefined ? undefined : (JSON.parse(text) as { jobId?: unknown }).jobId;
  } catch {
    rawId = undefined;
  }
  const candidates = [...(typeof rawId === 'string' && /^[A-Za-z0-9._-]+$/.test(rawId) && rawId !== '.' && rawId !== '..' ? [rawId] : []), 'invalid-job'];
  for (const id of candidates) {
    const path = join(outDir, id, 'error.json');
    try {
      const r = readJson(path) as ErrorRecord;
      if (r.error === record.error && r.message === record.message) return path;
    } catch {
      /* not there */
    }
  }
  return null;
}

/** Validate the options, run the job, write error.json for any failure; the report of what happened. */
export async function executeJob(jobRef: string, opts: RunOptions): Promise<RunReport> {
  let threads: number | undefined;
  let outDir: string;
  try {
    threads = parseThreads(opts.threads);
    outDir = prepareOutDir(opts.out);
  } catch (e) {
    const r = errorRecord(e);
    return { status: 'failed', exitCode: exitCodeFor(r.error), error: r, errorRecord: null };
  }
  const jobUri = jobUriOf(jobRef);
  let text: string | undefined;
  let pipeline: string;
  let jobId: string;
  try {
    try {
      text = new TextDecoder().decode(await readUri(jobUri));
    } catch (e) {
      throw explainCloudError(e, jobUri.startsWith('s3://') ? jobUri : 'the job store');
    }
    const job = parseJobText(text, 'job.json');
    pipeline = job.pipeline;
    jobId = job.jobId;
  } catch (e) {
    const r = errorRecord(e);
    if (r.error === 'CloudNotConfigured') return { status: 'failed', exitCode: exitCodeFor(r.error), error: r, errorRecord: null };
    // no workflow for a job that cannot be parsed: record its error where the failure recorder of every workflow would
    useStore(storeSettings({ outDir }));
    await recordFailure(taskEnv(), jobUri, { Error: r.error, Cause: JSON.stringify(r) });
    return { status: 'failed', exitCode: exitCodeFor(r.error), error: r, errorRecord: recordedErrorPath(outDir, text, r) };
  }
  const outcome = await runLocal({
    jobUri,
    pipeline,
    outDir,
    threads,
    progress: opts.progress === false ? 'none' : process.stderr.isTTY ? 'bars' : 'lines',
  });
  const dir = join(outDir, jobId);
  const base = { jobId, pipeline, seconds: Number(outcome.seconds.toFixed(2)), resultsDir: dir };
  if (outcome.status === 'failed') {
    const path = join(dir, 'error.json');
    const rec = existsSync(path) ? (readJson(path) as ErrorRecord) : { error: outcome.error, message: outcome.message, input: '' };
    const advice = cloudAdvice(rec.error);
    return { ...base, status: 'failed', exitCode: exitCodeFor(rec.error), error: rec, errorRecord: existsSync(path) ? path : null, ...(advice ? { advice } : {}) };
  }
  const resultPath = join(dir, 'result.json');
  if (!existsSync(resultPath)) {
    const error = { error: 'MissingResult', message: `the workflow succeeded but wrote no ${resultPath}`, input: '' };
    return { ...base, status: 'failed', exitCode: EXIT.runtime, error, errorRecord: null };
  }
  return { ...base, status: 'succeeded', exitCode: EXIT.ok, result: resultPath, summary: summariseResult(readJson(resultPath)) };
}

/** Run a job and print what happened (text, or one JSON object with --json); returns the exit code. */
export async function runJob(jobRef: string, opts: RunOptions): Promise<number> {
  const r = await executeJob(jobRef, opts);
  if (r.status === 'failed') console.error(`${r.jobId ? '\n' : ''}${errorLine(r.error!)}`);
  if (r.status === 'failed' && r.errorRecord) console.error(`error record: ${r.errorRecord}`);
  if (r.advice) console.error(`neuroburst: ${r.advice}`);
  if (opts.json) {
    console.log(JSON.stringify(r, null, 2));
  } else if (r.status === 'succeeded') {
    console.log(`\nneuroburst: ${r.jobId} (${r.pipeline}) done in ${r.seconds!.toFixed(1)} s; results in ${r.resultsDir}`);
    for (const line of formatSummary(r.summary!)) console.log(line);
  }
  return r.exitCode;
}

