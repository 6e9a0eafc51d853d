import { batchTask } from '../shared/runtime/task.ts';
import { contrastBatch } from '../shared/pipelines/ale/contrast.ts';
import type { ContrastShard } from '../shared/pipelines/ale/contrast.ts';

/** Distributed Map child: One batch of label-exchange permutations of the ALE contrast. */
export const handler = batchTask<ContrastShard, unknown>('aleContrast', (e, env) => contrastBatch(env, e.context, e.shard), (s) => `contrast-${s.index}`);
