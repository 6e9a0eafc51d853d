import { batchTask } from '../shared/runtime/task.ts';
import { runNullBatch } from '../shared/pipelines/transcriptomics/nulls.ts';
import type { NullItem } from '../shared/pipelines/transcriptomics/context.ts';

/** Distributed Map child: null batches (permutations, spins, bootstraps or per-gene spin counts). */
export const handler = batchTask<NullItem, unknown>('txNulls', (e, env) => runNullBatch(env, e.context, e.shard), (s) => `${s.kind}-${s.index}`);
