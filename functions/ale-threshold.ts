import { task } from '../shared/runtime/task.ts';
import { thresholdAle } from '../shared/pipelines/ale/threshold.ts';

/** After the Monte-Carlo nulls: cluster labels for the jackknife and the contrast domain. */
export const handler = task('aleThreshold', (e: { context: string }, env) => thresholdAle(env, e.context), (e) => ({ context: e.context, shard: 'threshold' }));
