import { task } from '../shared/runtime/task.ts';
import { rehoSubjectMaps } from '../shared/pipelines/reho/subject.ts';

/** One subject: stitch slabs, write ReHo, mReHo, zReHo and szReHo maps. */
export const handler = task('rehoSubject', (e: { context: string; shard: number }, env) => rehoSubjectMaps(env, e.context, e.shard), (e) => ({ context: e.context, shard: `subject-${e.shard}` }));
