import { task } from '../shared/runtime/task.ts';
import { validateJob } from '../shared/pipelines/validate.ts';

/** Validate job.json and its inputs; write the normalised spec and the job context. */
export const handler = task('validate', (e: { jobUri: string }, env) => validateJob(env, e.jobUri), (_e, r) => ({ context: r?.context, shard: 'validate' }));
