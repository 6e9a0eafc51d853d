/**
 * A run owns its results folder. Once a new spec has validated, everything an earlier run
 * left there (maps, tables, report, job.json, result.json, error.json) is removed before the
 * new run writes; a failed run's folder is emptied the same way and then holds error.json
 * alone. Never removed: the job's own inputs (job.json it was read from, every fingerprinted
 * input) when they happen to live in that folder; and when the job's own folder lies inside
 * the results folder, only the files an earlier result.json listed (plus result.json and
 * error.json) are removed, since anything else there may be an input.
 */
import type { Store } from '../storage/index.ts';

export interface ClearOptions {
  /** URI of the job.json being run */
  jobUri: string;
  /** URIs that must survive (the job's inputs) */
  protect?: readonly string[];
}

const dirOf = (uri: string) => uri.slice(0, uri.lastIndexOf('/') + 1);

/** Remove an earlier run's files from `<resultsDir>/`; returns the number removed. */
export async function clearResultsFolder(store: Store, resultsDir: string, opts: ClearOptions): Promise<number> {
  const folderUri = `${store.uri}${resultsDir}/`;
  const keep = new Set([opts.jobUri, ...(opts.protect ?? [])]);
  let candidates: string[] = [];
  if (dirOf(opts.jobUri).startsWith(folderUri)) {
    // the job's own folder is inside the results folder: remove only what an earlier result listed
    const listed = await listedOutputs(store, resultsDir);
    candidates = ['result.json', 'error.json', ...listed].map((rel) => `${resultsDir}/${rel}`);
  } else {
    for await (const key of store.list(`${resultsDir}/`)) candidates.push(key);
  }
  let removed = 0;
  for (const key of candidates) {
    if (keep.has(store.uri + key)) continue;
    if (!(await store.exists(key))) continue;
    await store.delete(key);
    removed++;
  }
  return removed;
}

/** The `outputs` of an earlier result.json in the folder (safe relative paths only). */
async function listedOutputs(store: Store, resultsDir: string): Promise<string[]> {
  try {
    const r = JSON.parse(await store.getText(`${resultsDir}/result.json`)) as { outputs?: unknown };
    if (!Array.isArray(r.outputs)) return [];
    return r.outputs.filter((o): o is string => typeof o === 'string' && o !== '' && !o.startsWith('/') && !o.split('/').some((s) => s === '..' || s === '.' || s === ''));
  } catch {
    return [];
  }
}
