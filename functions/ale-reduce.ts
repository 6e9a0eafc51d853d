import { task } from '../shared/runtime/task.ts';
import { reduceAle } from '../shared/pipelines/ale/reduce.ts';

/** Combine the Monte-Carlo batches, infer clusters, write maps, tables, report and result.json. */
export const handler = task('reduce', (e: { context: string }, env) => reduceAle(env, e.context), () => ({ shard: 'reduce' }));
