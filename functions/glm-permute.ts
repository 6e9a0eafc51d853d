import { task } from '../shared/runtime/task.ts';
import { permuteBatch } from '../shared/pipelines/glm/permute.ts';
import type { PermBatchShard } from '../shared/pipelines/glm/permute.ts';

/** One batch of permutations of every contrast: null maxima and exceedance counts. */
export const handler = task('glmPermute', (e: { context: string; shard: PermBatchShard }, env) => permuteBatch(env, e.context, e.shard), (e) => ({ context: e.context, shard: `perm-${e.shard.index}` }));
