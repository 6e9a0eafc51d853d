import { task } from '../shared/runtime/task.ts';
import { jackknifeShard } from '../shared/pipelines/ale/jackknife.ts';
import type { JackknifeShard } from '../shared/pipelines/ale/jackknife.ts';

/** Leave-one-experiment-out re-analyses of a range of experiments. */
export const handler = task('aleJackknife', (e: { context: string; shard: JackknifeShard }, env) => jackknifeShard(env, e.context, e.shard), (e) => ({ context: e.context, shard: `jackknife-${e.shard.index}` }));
