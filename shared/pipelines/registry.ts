import type { TaskEnv } from '../runtime/task.ts';
import { planGlm } from './glm/plan.ts';
import { planAle } from './ale/plan.ts';
import { planReho } from './reho/plan.ts';
import { planNetmap } from './netmap/plan.ts';
import { planTranscriptomics } from './transcriptomics/plan.ts';
import { PIPELINE_NAMES, pipelineValidation, type PipelineValidation } from './validators.ts';

export type { AnyJob } from './validators.ts';

/** What the generic Validate task needs of a pipeline (validators.ts), and its plan step. */
export interface PipelineEntry extends PipelineValidation {
  /** the plan step: writes `<workDir>/estimate.json`, then refuses a job over budget (BudgetExceeded) */
  plan(env: TaskEnv, contextKey: string): Promise<unknown>;
}

const PLANS: Record<string, PipelineEntry['plan']> = { glm: planGlm, ale: planAle, reho: planReho, netmap: planNetmap, transcriptomics: planTranscriptomics };

/**
 * Every pipeline, by the name `job.json` uses, with everything loaded (the CLI, tools, tests).
 * Each has `statemachines/<name>.asl.json`. Adding a pipeline = one loader in validators.ts,
 * its plan here and its handlers in functions/index.ts. The Validate task itself loads only
 * the job's pipeline (validators.ts).
 */
export const PIPELINES: Record<string, PipelineEntry> = Object.fromEntries(
  await Promise.all(
    PIPELINE_NAMES.map(async (name) => {
      const plan = PLANS[name];
      if (!plan) throw new Error(`pipeline ${name} has no plan step in shared/pipelines/registry.ts`);
      return [name, { ...(await pipelineValidation(name)!), plan }] as const;
    }),
  ),
);
