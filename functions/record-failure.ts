import { taskEnv } from '../shared/runtime/task.ts';
import { recordFailure } from '../shared/runtime/failure.ts';

/** Catch target of every workflow: write error.json and hand the named error to the Fail state. */
export const handler = (e: { jobUri: string; error: { Error?: string; Cause?: string } }) => recordFailure(taskEnv(), e.jobUri, e.error);
