import { task } from '../shared/runtime/task.ts';
import { resolveSpinSets } from '../shared/pipelines/transcriptomics/spins.ts';

/** Resolve the candidate spins of every region set in order (duplicates redrawn). */
export const handler = task('txSpins', (e: { context: string }, env) => resolveSpinSets(env, e.context), (e) => ({ context: e.context, shard: 'resolve-spins' }));
