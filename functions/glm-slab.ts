import { task } from '../shared/runtime/task.ts';
import { fitSlab } from '../shared/pipelines/glm/slab.ts';
import type { SlabShard } from '../shared/pipelines/glm/slab.ts';

/** One brain slab: fit every contrast, write t and smoothness sums. */
export const handler = task('glmSlab', (e: { context: string; shard: SlabShard }, env) => fitSlab(env, e.context, e.shard), (e) => ({ context: e.context, shard: `slab-${e.shard.index}` }));
