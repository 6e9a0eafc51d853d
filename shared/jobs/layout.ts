/**
 * Where a job's intermediate and final objects live in the work/results store.
 * Keys are pure functions of (jobId, stage, shard index), so a re-run finds what a
 * previous attempt already wrote.
 */
export interface Layout {
  work(jobId: string, ...parts: (string | number)[]): string;
  results(jobId: string, ...parts: (string | number)[]): string;
}

function prefixFromEnv(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined ? fallback : v;
}

/** The key prefix of intermediates (NEUROBURST_WORK_PREFIX; default 'work/'). */
export function workPrefixFromEnv(): string {
  return prefixFromEnv('NEUROBURST_WORK_PREFIX', 'work/');
}

/** On AWS: work/<jobId>/…, results/<jobId>/…; the local runner sets '.work/' and '' so results land in <out>/<jobId>/. */
export function layoutFromEnv(): Layout {
  const workPrefix = workPrefixFromEnv();
  const resultsPrefix = prefixFromEnv('NEUROBURST_RESULTS_PREFIX', 'results/');
  return {
    work: (jobId, ...parts) => [workPrefix + jobId, ...parts.map(String)].join('/'),
    results: (jobId, ...parts) => [resultsPrefix + jobId, ...parts.map(String)].join('/'),
  };
}
