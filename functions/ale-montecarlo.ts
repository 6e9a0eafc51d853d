import { batchTask } from '../shared/runtime/task.ts';
import { monteCarloBatch } from '../shared/pipelines/ale/montecarlo.ts';
import type { BatchShard } from '../shared/pipelines/ale/montecarlo.ts';

/** Distributed Map child: One batch of Monte-Carlo FWE iterations. */
export const handler = batchTask<BatchShard, unknown>('aleMonteCarlo', (e, env) => monteCarloBatch(env, e.context, e.shard), (s) => `batch-${s.index}`);
