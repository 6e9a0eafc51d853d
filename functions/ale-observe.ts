import { task } from '../shared/runtime/task.ts';
import { observe } from '../shared/pipelines/ale/observe.ts';

/** Observed ALE, histogram null and the cluster-forming threshold. */
export const handler = task('aleObserve', (e: { context: string }, env) => observe(env, e.context), (e) => ({ context: e.context, shard: 'observe' }));
