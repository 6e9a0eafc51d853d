import { task } from '../shared/runtime/task.ts';
import { planAle } from '../shared/pipelines/ale/plan.ts';

/** Estimate the cost (refusing a job over budget) and list the Monte-Carlo batches. */
export const handler = task('plan', (e: { context: string }, env) => planAle(env, e.context), (e) => ({ context: e.context, shard: 'plan' }));
