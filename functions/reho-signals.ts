import { task } from '../shared/runtime/task.ts';
import { rehoSignals } from '../shared/pipelines/reho/signals.ts';

/** One subject: WM and CSF mean signals per kept volume from its tissue masks. */
export const handler = task('rehoSignals', (e: { context: string; shard: number }, env) => rehoSignals(env, e.context, e.shard), (e) => ({ context: e.context, shard: `signals-${e.shard}` }));
