import { task } from '../shared/runtime/task.ts';
import { runNullBatch } from '../shared/pipelines/transcriptomics/nulls.ts';
import type { NullItem } from '../shared/pipelines/transcriptomics/context.ts';

interface NullsEvent {
  BatchInput: { context: string };
  Items: NullItem[];
}

/** Null batches (a Distributed Map child): permutations, spins, bootstraps or per-gene spin counts. */
export const handler = task(
  'txNulls',
  async (e: NullsEvent, env) => {
    const out = [];
    for (const item of e.Items) out.push(await runNullBatch(env, e.BatchInput.context, item));
    return out;
  },
  (e) => ({ context: e.BatchInput.context, shard: e.Items.map((s) => `${s.kind}-${s.index}`).join('_') }),
);
