import { task } from '../shared/runtime/task.ts';
import { rehoSlab } from '../shared/pipelines/reho/slab.ts';
import type { RehoShard } from '../shared/pipelines/reho/context.ts';

/** One subject × slab: clean, rank and Kendall's W with a one-voxel halo. */
export const handler = task('rehoSlab', (e: { context: string; shard: RehoShard }, env) => rehoSlab(env, e.context, e.shard), (e) => ({ context: e.context, shard: `slab-${e.shard.subject}-${e.shard.slab}` }));
