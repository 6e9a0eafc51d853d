import { task } from '../shared/runtime/task.ts';
import { planTranscriptomics } from '../shared/pipelines/transcriptomics/plan.ts';

/** Estimate the cost (refusing a job over budget), list the candidate-spin and null batches. */
export const handler = task('plan', (e: { context: string }, env) => planTranscriptomics(env, e.context), (e) => ({ context: e.context, shard: 'plan' }));
