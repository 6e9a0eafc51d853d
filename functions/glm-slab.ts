import { batchTask } from '../shared/runtime/task.ts';
import { fitSlab } from '../shared/pipelines/glm/slab.ts';
import type { SlabShard } from '../shared/pipelines/glm/slab.ts';

/** Distributed Map child: One brain slab: fit every contrast, write t and smoothness sums. */
export const handler = batchTask<SlabShard, unknown>('glmSlab', (e, env) => fitSlab(env, e.context, e.shard), (s) => `slab-${s.index}`);
