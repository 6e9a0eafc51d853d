import { batchTask } from '../shared/runtime/task.ts';
import { rehoSubjectMaps } from '../shared/pipelines/reho/subject.ts';

/** Distributed Map child: One subject: stitch slabs, write ReHo, mReHo, zReHo and szReHo maps. */
export const handler = batchTask<number, unknown>('rehoSubject', (e, env) => rehoSubjectMaps(env, e.context, e.shard), (s) => `subject-${s}`);
