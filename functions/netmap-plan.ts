import { task } from '../shared/runtime/task.ts';
import { planNetmap } from '../shared/pipelines/netmap/plan.ts';

/** Estimate the cost (refusing a job over budget) and write the connectome chunk list. */
export const handler = task('plan', (e: { context: string }, env) => planNetmap(env, e.context), (e) => ({ context: e.context, shard: 'plan' }));
