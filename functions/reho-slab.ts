import { batchTask } from '../shared/runtime/task.ts';
import { rehoSlab } from '../shared/pipelines/reho/slab.ts';
import type { RehoShard } from '../shared/pipelines/reho/context.ts';

/** Distributed Map child: One subject × slab: clean, rank and Kendall's W with a one-voxel halo. */
export const handler = batchTask<RehoShard, unknown>('rehoSlab', (e, env) => rehoSlab(env, e.context, e.shard), (s) => `slab-${s.subject}-${s.slab}`);
