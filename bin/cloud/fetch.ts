/** `neuroburst fetch <jobId> --results-bucket B --out DIR`: download s3://B/results/<jobId>/ to DIR/<jobId>/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MissingInput } from '../../shared/errors.ts';
import { S3Store, assertSafeKey } from '../../shared/storage/index.ts';

export interface FetchResult {
  dir: string;
  files: string[];
  bytes: number;
  /** 'succeeded' (result.json), 'failed' (error.json) or 'incomplete' */
  status: 'succeeded' | 'failed' | 'incomplete';
}

export async function fetchResults(jobId: string, opts: { bucket: string; out: string; prefix?: string }): Promise<FetchResult> {
  assertSafeKey(jobId, 'jobId');
  const store = new S3Store({ bucket: opts.bucket, prefix: `${(opts.prefix ?? 'results').replace(/\/+$/, '')}/${jobId}` });
  const dir = join(resolve(opts.out), jobId);
  const files: string[] = [];
  let bytes = 0;
  for await (const key of store.list('')) {
    assertSafeKey(key, key);
    const body = await store.get(key);
    const target = join(dir, ...key.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, body);
    files.push(key);
    bytes += body.byteLength;
  }
  if (files.length === 0) throw new MissingInput(`no results for job '${jobId}' in s3://${opts.bucket}/${store.prefix}`, `s3://${opts.bucket}/${store.prefix}`);
  const status = files.includes('result.json') ? 'succeeded' : files.includes('error.json') ? 'failed' : 'incomplete';
  return { dir, files, bytes, status };
}
