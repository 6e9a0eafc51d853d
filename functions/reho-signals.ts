import { batchTask } from '../shared/runtime/task.ts';
import { rehoSignals } from '../shared/pipelines/reho/signals.ts';

/** Distributed Map child: One subject: WM and CSF mean signals per kept volume from its tissue masks. */
export const handler = batchTask<number, unknown>('rehoSignals', (e, env) => rehoSignals(env, e.context, e.shard), (s) => `signals-${s}`);
