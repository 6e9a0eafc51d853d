import { batchTask } from '../shared/runtime/task.ts';
import { isObservedMapsItem, monteCarloBatch, monteCarloLabel } from '../shared/pipelines/ale/montecarlo.ts';
import type { MonteCarloItem } from '../shared/pipelines/ale/montecarlo.ts';
import { writeObservedMaps } from '../shared/pipelines/ale/outputs.ts';

/** Distributed Map child: one batch of Monte-Carlo FWE iterations (or the observed maps, the fan-out's first item). */
export const handler = batchTask<MonteCarloItem, unknown>('aleMonteCarlo', (e, env) => (isObservedMapsItem(e.shard) ? writeObservedMaps(env, e.context) : monteCarloBatch(env, e.context, e.shard)), monteCarloLabel);
