import { batchTask } from '../shared/runtime/task.ts';
import { jackknifeShard } from '../shared/pipelines/ale/jackknife.ts';
import type { JackknifeShard } from '../shared/pipelines/ale/jackknife.ts';

/** Distributed Map child: Leave-one-experiment-out re-analyses of a range of experiments. */
export const handler = batchTask<JackknifeShard, unknown>('aleJackknife', (e, env) => jackknifeShard(env, e.context, e.shard), (s) => `jackknife-${s.index}`);
