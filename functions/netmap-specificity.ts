import { task } from '../shared/runtime/task.ts';
import { specificityBatch } from '../shared/pipelines/netmap/specificity.ts';
import type { SpecShard } from '../shared/pipelines/netmap/specificity.ts';

interface SpecEvent {
  BatchInput: { context: string };
  Items: SpecShard[];
}

/** Batches of the studies-vs-controls permutation test (a Distributed Map child). */
export const handler = task(
  'netmapSpecificity',
  async (e: SpecEvent, env) => {
    const out = [];
    for (const shard of e.Items) out.push(await specificityBatch(env, e.BatchInput.context, shard));
    return out;
  },
  (e) => ({ context: e.BatchInput.context, shard: `spec-${e.Items.map((s) => s.index).join('-')}` }),
);
