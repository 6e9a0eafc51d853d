import { task } from '../shared/runtime/task.ts';
import { setupGroup } from '../shared/pipelines/reho/group.ts';

/** Write the group participants table and glm job for the szReHo maps, and the embedding GroupRun starts the glm workflow with. */
export const handler = task('plan', (e: { context: string }, env) => setupGroup(env, e.context), (e) => ({ context: e.context, shard: 'group' }));
