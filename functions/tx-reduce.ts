import { task } from '../shared/runtime/task.ts';
import { reduceTranscriptomics } from '../shared/pipelines/transcriptomics/reduce.ts';

/** Pool the nulls; write tables, report and result.json (last). */
export const handler = task('reduce', (e: { context: string }, env) => reduceTranscriptomics(env, e.context), () => ({ shard: 'reduce' }));
