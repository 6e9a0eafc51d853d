/**
 * The shape of a pipeline manifest: what the Lambda handler table (functions/index.ts), the
 * CDK code (lib/sources.ts) and the local runner read to know a pipeline's workflow and
 * stages. The ASL file stays the source of the workflow itself; the manifest names, for
 * each `${<Handler>FunctionArn}` the ASL uses, its task type (memory, timeout: TASKS in
 * shared/jobs/cost.ts), its handler module and what one invocation works on.
 */
import type { TaskType } from '../jobs/cost.ts';

/** What one invocation of a stage covers (its fan-out unit). */
export type ShardKind = 'job' | 'subject' | 'slab' | 'subject-slab' | 'batch' | 'experiments' | 'chunk';

export interface StageManifest {
  /** name in `${<handler>FunctionArn}` and functions/index.ts */
  handler: string;
  task: TaskType;
  /** the handler module, relative to the repository root (exports `handler`) */
  entry: string;
  shard: ShardKind;
}

export interface PipelineManifest {
  /** `job.pipeline` and the stem of statemachines/<name>.asl.json */
  name: string;
  stages: StageManifest[];
}

/** Stages every workflow shares (validation and the failure recorder). */
export const COMMON_STAGES: StageManifest[] = [
  { handler: 'Validate', task: 'validate', entry: 'functions/validate.ts', shard: 'job' },
  { handler: 'RecordFailure', task: 'recordFailure', entry: 'functions/record-failure.ts', shard: 'job' },
];
