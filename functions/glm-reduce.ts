import { task } from '../shared/runtime/task.ts';
import { reduceGlm } from '../shared/pipelines/glm/reduce.ts';

/** Stitch slabs, GRF-correct, write maps, tables, report and result.json. */
export const handler = task('reduce', (e: { context: string }, env) => reduceGlm(env, e.context), () => ({ shard: 'reduce' }));
