import { batchTask } from '../shared/runtime/task.ts';
import { prepareSubject } from '../shared/pipelines/glm/prepare.ts';

/** Distributed Map child: One subject: read, check, smooth, store. */
export const handler = batchTask<number, unknown>('prepare', (e, env) => prepareSubject(env, e.context, e.shard), (s) => `subject-${s}`);
