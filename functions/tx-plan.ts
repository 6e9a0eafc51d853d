import { task } from '../shared/runtime/task.ts';
import { planTranscriptomics } from '../shared/pipelines/transcriptomics/plan.ts';

/** Estimate the cost (refusing a job over budget), draw the spins, write the null batches. */
export const handler = task('txPlan', (e: { context: string }, env) => planTranscriptomics(env, e.context), (e) => ({ context: e.context, shard: 'plan' }));
