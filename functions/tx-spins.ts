import { batchTask } from '../shared/runtime/task.ts';
import { spinBatch, type SpinItem } from '../shared/pipelines/transcriptomics/spins.ts';

/** Distributed Map child: batches of candidate spins (one region set each). */
export const handler = batchTask<SpinItem, unknown>('txSpins', (e, env) => spinBatch(env, e.context, e.shard), (s) => `spin-${s.set}-${s.index}`);
