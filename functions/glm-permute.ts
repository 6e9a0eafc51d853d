import { batchTask } from '../shared/runtime/task.ts';
import { permuteBatch } from '../shared/pipelines/glm/permute.ts';
import type { PermBatchShard } from '../shared/pipelines/glm/permute.ts';

/** Distributed Map child: batches of permutations of every contrast (null maxima and exceedance counts). */
export const handler = batchTask<PermBatchShard, unknown>('glmPermute', (e, env) => permuteBatch(env, e.context, e.shard), (s) => `perm-${s.index}`);
