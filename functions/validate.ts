import { task } from '../shared/runtime/task.ts';
import { validateJob } from '../shared/pipelines/validate.ts';

/** Validate job.json and its inputs; write the normalised spec and the job context (`embed`: the job is another workflow's step). */
export const handler = task('validate', (e: { jobUri: string; embed?: unknown }, env) => validateJob(env, e.jobUri, e.embed), (_e, r) => ({ context: r?.context, shard: 'validate' }));
