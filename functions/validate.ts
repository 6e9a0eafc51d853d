import { task } from '../shared/runtime/task.ts';
import { validateJob } from '../shared/pipelines/validate.ts';
import { pipelineValidation } from '../shared/pipelines/validators.ts';

/** Validate job.json and its inputs; write the normalised spec and the job context (`embed`: the job is another workflow's step). */
export const handler = task('validate', (e: { jobUri: string; embed?: unknown }, env) => validateJob(env, e.jobUri, e.embed), (_e, r) => ({ context: r?.context, shard: 'validate' }));

/** Load what the handler will need for a job of `pipeline` (its schema and validation), before the job arrives (runner/worker.ts `warm`). */
export const warm = async (e: { pipeline: string }): Promise<void> => void (await pipelineValidation(e.pipeline));
