import type { TaskEnv } from './task.ts';
import { assertAllowedInput, readUri, stepJobOf } from '../storage/index.ts';
import { uploadAreaJobId, uploadJobId } from '../jobs/upload-key.ts';
import { clearResultsFolder } from '../jobs/results-folder.ts';

export interface ErrorRecord {
  error: string;
  message: string;
  input: string;
}

/**
 * Recover the error.json record from a Step Functions Catch output. Lambda puts
 * `{errorType, errorMessage, trace}` JSON in Cause; the local runner puts the message
 * itself. Our tasks' messages are the record as JSON.
 */
export function recordFromCatch(err: { Error?: string; Cause?: string } | undefined): ErrorRecord {
  const name = err?.Error ?? 'Error';
  let message = err?.Cause ?? '';
  try {
    const outer = JSON.parse(message) as Record<string, unknown>;
    if (typeof outer.errorMessage === 'string') message = outer.errorMessage;
    else if (typeof outer.error === 'string' && typeof outer.message === 'string') {
      return { error: outer.error, message: outer.message, input: String(outer.input ?? '') };
    }
  } catch {
    /* plain text cause */
  }
  try {
    const inner = JSON.parse(message) as Record<string, unknown>;
    if (typeof inner.error === 'string' && typeof inner.message === 'string') {
      return { error: inner.error, message: inner.message, input: String(inner.input ?? '') };
    }
  } catch {
    /* plain text message */
  }
  const states: Record<string, string> = {
    'States.Timeout': 'a task ran past its time limit',
    'States.TaskFailed': 'a task failed',
    'States.Runtime': 'the workflow could not evaluate a path in its definition',
  };
  return { error: name, message: message || states[name] || name, input: '' };
}

/**
 * The named error of the Distributed Map child that failed the job: the newest shard error
 * record under the job's work folders (task() writes one when a shard throws).
 */
async function shardError(env: TaskEnv, jobId: string): Promise<ErrorRecord | undefined> {
  let newest: (ErrorRecord & { at: string }) | undefined;
  const mapRunFailures: string[] = [];
  for await (const key of env.store.list(`${env.layout.work(jobId)}/`)) {
    if (/\/map-runs\/.+\/FAILED_\d+\.json$/.test(key)) mapRunFailures.push(key);
    if (!/\/errors\/[^/]+\/[^/]+\.json$/.test(key)) continue;
    try {
      const r = JSON.parse(await env.store.getText(key)) as ErrorRecord & { at: string };
      if (typeof r.error === 'string' && typeof r.message === 'string' && (!newest || r.at > newest.at)) newest = r;
    } catch {
      /* unreadable record: ignored */
    }
  }
  if (newest) return { error: newest.error, message: newest.message, input: newest.input ?? '' };
  return mapRunFailure(env, mapRunFailures);
}

/**
 * No shard left a record (the worker died: a timeout, out of memory): the first failed child of
 * the newest failed map run, from the FAILED_<n>.json its ResultWriter exported ({Error, Cause}).
 */
async function mapRunFailure(env: TaskEnv, keys: string[]): Promise<ErrorRecord | undefined> {
  let best: { at: string; rec: ErrorRecord } | undefined;
  for (const key of keys) {
    try {
      const entries = JSON.parse(await env.store.getText(key)) as { Error?: string; Cause?: string; StopDate?: string }[];
      for (const e of Array.isArray(entries) ? entries : []) {
        if (typeof e.Error !== 'string') continue;
        const at = String(e.StopDate ?? '');
        if (!best || at > best.at) best = { at, rec: recordFromCatch({ Error: e.Error, Cause: e.Cause }) };
      }
    } catch {
      /* unreadable export: ignored */
    }
  }
  return best?.rec;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** The upload key's jobId of a job.json inside the allow-list (one outside it names no folder). */
function allowedUploadJobId(jobUri: string): string | undefined {
  try {
    assertAllowedInput(jobUri);
  } catch {
    return undefined;
  }
  return uploadJobId(jobUri) ?? uploadAreaJobId(jobUri);
}

/** The jobId a job.json that was not uploaded claims ('invalid-job' if it has none or cannot be read). */
async function claimedJobId(jobUri: string): Promise<string> {
  try {
    // the allow-list Validate applies (NEUROBURST_ALLOWED_INPUTS): a refused job.json is not read for its jobId either,
    // so it cannot name (and clear the results of) another job; its error.json goes under invalid-job/
    const raw = JSON.parse(new TextDecoder().decode(await readUri(assertAllowedInput(jobUri)))) as { jobId?: unknown };
    if (typeof raw.jobId === 'string' && SAFE_ID.test(raw.jobId)) return raw.jobId;
  } catch {
    /* unreadable job.json: the record says why */
  }
  return 'invalid-job';
}

/**
 * Write error.json where result.json would have been, after removing what the folder held
 * (`clearResultsFolder`: a failed run's folder holds error.json and nothing presented as a
 * result). The folder is the upload key's job (`jobs/<jobId>/job.json`) when the job was
 * uploaded — never the id a job.json claims — else the job.json's own id.
 */
export async function recordFailure(env: TaskEnv, jobUri: string, caught: { Error?: string; Cause?: string }): Promise<ErrorRecord> {
  const rec = recordFromCatch(caught);
  // a step job's error goes to its parent's folder (the path it lives under), never to the id its job.json claims
  // a job.json anywhere under jobs/<jobId>/ (nested keys included) records under that folder's id, never a claimed one
  const jobId = allowedUploadJobId(jobUri) ?? stepJobOf(jobUri)?.jobId ?? (await claimedJobId(jobUri));
  const dir = env.layout.results(jobId);
  const record = rec.error === 'States.ExceedToleratedFailureThreshold' && jobId !== 'invalid-job' ? ((await shardError(env, jobId)) ?? rec) : rec;
  if (jobId === 'invalid-job') await env.store.delete(`${dir}/result.json`);
  else if (!jobUri.startsWith(`${env.store.uri}${env.layout.work(jobId)}/`)) await clearResultsFolder(env.store, dir, { jobUri });
  await env.store.put(`${dir}/error.json`, JSON.stringify(record, null, 2) + '\n');
  return record;
}
