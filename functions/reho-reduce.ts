import { task } from '../shared/runtime/task.ts';
import { reduceReho } from '../shared/pipelines/reho/reduce.ts';

/** QC table, subject summary, group result, report and result.json. */
export const handler = task('reduce', (e: { context: string }, env) => reduceReho(env, e.context), () => ({ shard: 'reduce' }));
