import { task } from '../shared/runtime/task.ts';
import { contrastBatch } from '../shared/pipelines/ale/contrast.ts';
import type { ContrastShard } from '../shared/pipelines/ale/contrast.ts';

/** One batch of label-exchange permutations of the ALE contrast. */
export const handler = task('aleContrast', (e: { context: string; shard: ContrastShard }, env) => contrastBatch(env, e.context, e.shard), (e) => ({ context: e.context, shard: `contrast-${e.shard.index}` }));
