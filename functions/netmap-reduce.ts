import { task } from '../shared/runtime/task.ts';
import { reduceNetmap } from '../shared/pipelines/netmap/reduce.ts';

/** Pool connectome chunks; write study networks, their overlap, tables, report and result.json. */
export const handler = task('reduce', (e: { context: string }, env) => reduceNetmap(env, e.context), () => ({ shard: 'reduce' }));
