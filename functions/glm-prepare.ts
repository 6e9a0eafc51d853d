import { task } from '../shared/runtime/task.ts';
import { prepareSubject } from '../shared/pipelines/glm/prepare.ts';

/** One subject: read, check, smooth, store. */
export const handler = task('prepare', (e: { context: string; shard: number }, env) => prepareSubject(env, e.context, e.shard), (e) => ({ context: e.context, shard: `subject-${e.shard}` }));
