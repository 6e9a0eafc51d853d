import { task } from '../shared/runtime/task.ts';
import { planReho } from '../shared/pipelines/reho/plan.ts';

/** Motion QC and exclusions, slab plan, cost estimate (refusing a job over budget), subject × slab shards. */
export const handler = task('plan', (e: { context: string }, env) => planReho(env, e.context), (e) => ({ context: e.context, shard: 'plan' }));
