/**
 * Where a job's intermediates and results live: the spec hash and the work and results
 * prefixes every context records.
 *
 * The spec hash is content-addressed: SHA-256 (`digestParts`) over
 *  - the code version (`CODE_VERSION`: the package version and `WORK_FORMAT`),
 *  - the normalised job and everything the validator resolved from it (subjects, models
 *    built from the participants-table values as read, resolved input URIs, …: `hashed`),
 *  - the fingerprint of every input URI found anywhere in `hashed` (subject maps, masks,
 *    atlases, label files, connectome and coordinate files, tables): on S3 the ETag and
 *    version id from one HEAD, locally the SHA-256 of the bytes (with a per-process cache
 *    keyed by path, size, mtime and ctime; `shared/storage/digest.ts`).
 * So a changed input (a subject map replaced in place, edited TIV values) gets a new work
 * folder and never reuses old intermediates, and an unchanged one always resumes.
 * The fingerprints are recorded as `<workDir>/inputs.json` (provenance, and the list of
 * inputs a results-folder cleanup must never touch).
 */
import pkg from '../../../package.json' with { type: 'json' };
import type { TaskEnv } from '../../runtime/task.ts';
import { MissingInput } from '../../errors.ts';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalStore, digestParts, fingerprint, storeForUri, type InputFingerprint } from '../../storage/index.ts';
import { baseStore } from '../../storage/work-store.ts';

/**
 * Version of the intermediates' formats and of the stages' computations: bump it whenever a
 * stage writes something different for the same inputs, so old work folders are not reused.
 */
export const WORK_FORMAT = 2;
/** What the spec hash records as the code that produced the intermediates. */
export const CODE_VERSION = `neuroburst@${pkg.version}+work${WORK_FORMAT}`;

export interface JobLocation {
  /** first 12 hex digits of the content-addressed spec hash (above): a changed spec or input starts clean */
  specHash: string;
  /** `<work prefix><jobId>/<specHash>`: every intermediate key starts with it (re-runs of the same spec resume) */
  workDir: string;
  /** `<results prefix><jobId>`: the job's outputs */
  resultsDir: string;
  /** the fingerprint of every input, in URI order */
  inputs: InputRecord[];
}

export interface InputRecord {
  uri: string;
  /** `InputFingerprint.token`, or 'missing' for a URI with no object */
  token: string;
}

const URI = /^(file|s3):\/\//;

/** Every input URI (a string starting file:// or s3://) anywhere in `value`, sorted, without duplicates. */
export function inputUris(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (URI.test(v)) found.add(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) Object.values(v).forEach(walk);
  };
  walk(value);
  return [...found].sort();
}

/** Local digests computed in this process (keyed by path, size, mtime, ctime: a changed file misses). */
const digestCache = new Map<string, string>();

/** Fingerprints of `uris`, a few at a time. */
export async function fingerprintInputs(uris: readonly string[]): Promise<InputRecord[]> {
  const out: InputRecord[] = new Array(uris.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < uris.length; i = next++) {
      const uri = uris[i]!;
      let fp: InputFingerprint | undefined;
      try {
        const { store, key } = storeForUri(uri);
        fp = await fingerprint(store, key, { cache: digestCache });
      } catch (err) {
        if (!(err instanceof MissingInput)) throw err;
      }
      out[i] = { uri, token: fp?.token ?? 'missing' };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, uris.length) }, worker));
  return out;
}

/** Where `<workDir>/inputs.json` lives. */
export const inputsKey = (workDir: string) => `${workDir}/inputs.json`;

/**
 * `hashed` is everything the results depend on (the normalised job, what the validator
 * resolved from it: subjects, models, every input URI). Fingerprints every input URI in it,
 * derives the spec hash and records the fingerprints under the work folder.
 */
export async function jobLocation(env: TaskEnv, jobId: string, hashed: unknown): Promise<JobLocation> {
  const inputs = await fingerprintInputs(inputUris(hashed));
  const digest = digestParts([CODE_VERSION, JSON.stringify(hashed), ...inputs.flatMap((i) => [i.uri, i.token])]);
  const specHash = digest.slice('sha256:'.length, 'sha256:'.length + 12);
  const workDir = env.layout.work(jobId, specHash);
  await env.store.put(inputsKey(workDir), JSON.stringify({ codeVersion: CODE_VERSION, inputs }, null, 2));
  return { specHash, workDir, resultsDir: env.layout.results(jobId), inputs };
}

/**
 * After a job succeeded on a local store: remove the work folders of the job's earlier specs
 * (`<work>/<jobId>/<other hash>/` whose inputs.json is older than this run's), so changed
 * inputs or parameters do not pile up intermediates. The current spec's folder stays (an
 * unchanged re-run resumes from it), and so does every folder this run wrote (an embedded
 * step's). An embedded step's own finish (its job.json under the work prefix) removes
 * nothing. On S3 the bucket's lifecycle rule expires work folders. Returns the folders removed.
 */
export async function removeStaleWork(env: TaskEnv, jobId: string, specHash: string): Promise<string[]> {
  const local = baseStore(env.store);
  if (!(local instanceof LocalStore)) return [];
  const jobWork = env.layout.work(jobId);
  const current = env.layout.work(jobId, specHash);
  let mine: number;
  try {
    const ctx = JSON.parse(await env.store.getText(`${current}/context.json`)) as { jobUri?: string };
    if (typeof ctx.jobUri !== 'string' || ctx.jobUri.startsWith(`${env.store.uri}${jobWork}/`)) return [];
    mine = (await env.store.head(inputsKey(current))).modifiedMs;
  } catch {
    return [];
  }
  const folders = new Set<string>();
  for await (const key of env.store.list(`${jobWork}/`)) {
    const spec = key.slice(jobWork.length + 1).split('/')[0]!;
    if (spec !== specHash && /^[0-9a-f]{12}$/.test(spec)) folders.add(spec);
  }
  const removed: string[] = [];
  for (const spec of folders) {
    const t = await env.store.head(inputsKey(`${jobWork}/${spec}`)).then((i) => i.modifiedMs, () => -Infinity);
    if (t >= mine) continue;
    await rm(join(local.root, ...`${jobWork}/${spec}`.split('/')), { recursive: true, force: true });
    removed.push(spec);
  }
  return removed;
}
