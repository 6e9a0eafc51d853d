import { task } from '../shared/runtime/task.ts';
import { permuteBatch } from '../shared/pipelines/glm/permute.ts';
import type { PermBatchShard } from '../shared/pipelines/glm/permute.ts';

interface PermuteEvent {
  BatchInput: { context: string };
  Items: PermBatchShard[];
}

/** Batches of permutations of every contrast (a Distributed Map child): null maxima and exceedance counts. */
export const handler = task(
  'glmPermute',
  async (e: PermuteEvent, env) => {
    const out = [];
    for (const shard of e.Items) out.push(await permuteBatch(env, e.BatchInput.context, shard));
    return out;
  },
  (e) => ({ context: e.BatchInput.context, shard: `perm-${e.Items.map((s) => s.index).join('-')}` }),
);
