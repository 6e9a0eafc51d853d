import { task } from '../shared/runtime/task.ts';
import { monteCarloBatch } from '../shared/pipelines/ale/montecarlo.ts';
import type { BatchShard } from '../shared/pipelines/ale/montecarlo.ts';

/** One batch of Monte-Carlo FWE iterations. */
export const handler = task('aleMonteCarlo', (e: { context: string; shard: BatchShard }, env) => monteCarloBatch(env, e.context, e.shard), (e) => ({ context: e.context, shard: `batch-${e.shard.index}` }));
