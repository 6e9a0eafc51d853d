import { batchTask } from '../shared/runtime/task.ts';
import { specificityBatch } from '../shared/pipelines/netmap/specificity.ts';
import type { SpecShard } from '../shared/pipelines/netmap/specificity.ts';

/** Distributed Map child: batches of the studies-vs-controls permutation test. */
export const handler = batchTask<SpecShard, unknown>('netmapSpecificity', (e, env) => specificityBatch(env, e.context, e.shard), (s) => `spec-${s.index}`);
