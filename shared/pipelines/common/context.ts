/** Where a job's intermediates and results live: the spec hash and the work and results prefixes every context records. */
import { createHash } from 'node:crypto';
import type { TaskEnv } from '../../runtime/task.ts';

export interface JobLocation {
  /** first 12 hex digits of SHA-256 over the normalised job and its resolved inputs: a changed spec starts clean */
  specHash: string;
  /** `<work prefix><jobId>/<specHash>`: every intermediate key starts with it (re-runs of the same spec resume) */
  workDir: string;
  /** `<results prefix><jobId>`: the job's outputs */
  resultsDir: string;
}

/** `hashed` is everything the results depend on (the normalised job, its resolved inputs). */
export function jobLocation(env: TaskEnv, jobId: string, hashed: unknown): JobLocation {
  const specHash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 12);
  return { specHash, workDir: env.layout.work(jobId, specHash), resultsDir: env.layout.results(jobId) };
}
