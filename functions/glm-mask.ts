import { task } from '../shared/runtime/task.ts';
import { buildMask } from '../shared/pipelines/glm/mask.ts';

/** Build the analysis mask and plan the slabs. */
export const handler = task('mask', (e: { context: string }, env) => buildMask(env, e.context), (e) => ({ context: e.context, shard: 'mask' }));
