/**
 * `neuroburst submit job.json --bucket B`: upload the job folder (every file beside and
 * below job.json, hidden entries skipped) to s3://B/jobs/<jobId>/, then job.json LAST,
 * so the upload trigger sees complete inputs.
 */
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UnsafeInputKey } from '../../shared/errors.ts';
import { parseJobText } from '../../shared/jobs/parse.ts';
import { S3Store } from '../../shared/storage/index.ts';

export interface SubmitOptions {
  bucket: string;
  /** key prefix of job folders @default 'jobs' */
  prefix?: string;
  /** called after each upload */
  onUpload?: (key: string, bytes: number) => void;
}

export interface SubmitResult {
  jobId: string;
  pipeline: string;
  /** s3://bucket/jobs/<jobId>/job.json */
  jobUri: string;
  /** keys uploaded, job.json last */
  keys: string[];
  bytes: number;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Input strings that name local files outside any job folder cannot work once the job lives in S3. */
function assertNoLocalRefs(value: unknown, field: string): void {
  if (typeof value === 'string') {
    if (value.startsWith('/') || /^file:/i.test(value)) {
      throw new UnsafeInputKey(`${field} is a local path (${value}); put the file in the job folder and reference it relatively, or use an s3:// URI`, field);
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => assertNoLocalRefs(v, `${field}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertNoLocalRefs(v, `${field}.${k}`);
}

export async function submitJob(jobPath: string, opts: SubmitOptions): Promise<SubmitResult> {
  const path = resolve(jobPath);
  const text = readFileSync(path, 'utf8');
  const job = parseJobText(text, 'job.json');
  assertNoLocalRefs((job as { inputs?: unknown }).inputs, 'inputs');
  const folder = dirname(path);
  const prefix = `${(opts.prefix ?? 'jobs').replace(/\/+$/, '')}/${job.jobId}`;
  const store = new S3Store({ bucket: opts.bucket, prefix });
  const keys: string[] = [];
  let bytes = 0;
  for (const file of walk(folder)) {
    if (file === path) continue;
    const key = relative(folder, file).split(sep).join('/');
    const body = readFileSync(file);
    await store.put(key, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    keys.push(`${prefix}/${key}`);
    bytes += body.byteLength;
    opts.onUpload?.(`${prefix}/${key}`, body.byteLength);
  }
  await store.put('job.json', text, { contentType: 'application/json' });
  keys.push(`${prefix}/job.json`);
  bytes += Buffer.byteLength(text);
  opts.onUpload?.(`${prefix}/job.json`, Buffer.byteLength(text));
  return { jobId: job.jobId, pipeline: job.pipeline, jobUri: `s3://${opts.bucket}/${prefix}/job.json`, keys, bytes };
}
