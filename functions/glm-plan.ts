import { task } from '../shared/runtime/task.ts';
import { planGlm } from '../shared/pipelines/glm/plan.ts';

/** Estimate the cost (refusing a job over budget) and list the subject shards. */
export const handler = task('plan', (e: { context: string }, env) => planGlm(env, e.context), (e) => ({ context: e.context, shard: 'plan' }));
