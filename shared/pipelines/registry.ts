import type { z } from 'zod';
import type { TaskEnv } from '../runtime/task.ts';
import type { JobCommon } from '../jobs/spec.ts';
import type { Embedding } from './common/embed.ts';
import { glmJobSchema } from './glm/job.ts';
import { checkGlmDesign, validateGlm } from './glm/validate.ts';
import { glmParamsSchema, type GlmParams } from './glm/params.ts';
import { planGlm } from './glm/plan.ts';
import { aleJobSchema } from './ale/job.ts';
import { validateAle } from './ale/validate.ts';
import { planAle } from './ale/plan.ts';
import { rehoJobSchemaWith, type RehoJob } from './reho/job.ts';
import { validateReho } from './reho/validate.ts';
import { planReho } from './reho/plan.ts';
import { netmapJobSchema } from './netmap/job.ts';
import { validateNetmap } from './netmap/validate.ts';
import { planNetmap } from './netmap/plan.ts';
import { transcriptomicsJobSchema } from './transcriptomics/job.ts';
import { validateTranscriptomics } from './transcriptomics/validate.ts';
import { planTranscriptomics } from './transcriptomics/plan.ts';

/** What the generic Validate task needs of a pipeline. */
export interface PipelineEntry {
  jobSchema: z.ZodType;
  /** check inputs against the spec, write the context; return its key */
  validate(env: TaskEnv, job: never, jobUri: string): Promise<{ workDir: string }>;
  /** the same, for a job another workflow starts as one of its steps (its outputs go where `embed` says); only pipelines that can be embedded */
  validateEmbedded?(env: TaskEnv, job: never, jobUri: string, embed: Embedding): Promise<{ workDir: string }>;
  /** the plan step: writes `<workDir>/estimate.json`, then refuses a job over budget (BudgetExceeded) */
  plan(env: TaskEnv, contextKey: string): Promise<unknown>;
}

/**
 * Every pipeline, by the name `job.json` uses. Each has `statemachines/<name>.asl.json`.
 * Adding a pipeline = one entry here and its handlers in functions/index.ts.
 */
export const PIPELINES: Record<string, PipelineEntry> = {
  glm: { jobSchema: glmJobSchema, validate: validateGlm as PipelineEntry['validate'], validateEmbedded: validateGlm as PipelineEntry['validateEmbedded'], plan: planGlm },
  ale: { jobSchema: aleJobSchema, validate: validateAle as PipelineEntry['validate'], plan: planAle },
  // reho's params.group is the params of the glm job its group step starts: glm's schema and design check
  reho: {
    jobSchema: rehoJobSchemaWith(glmParamsSchema),
    validate: ((env: TaskEnv, job: RehoJob, jobUri: string) =>
      validateReho(env, job, jobUri, (table, mapColumn, group, source) => checkGlmDesign(table, mapColumn, group as GlmParams, source, 'params.group'))) as PipelineEntry['validate'],
    plan: planReho,
  },
  netmap: { jobSchema: netmapJobSchema, validate: validateNetmap as PipelineEntry['validate'], plan: planNetmap },
  transcriptomics: { jobSchema: transcriptomicsJobSchema, validate: validateTranscriptomics as PipelineEntry['validate'], plan: planTranscriptomics },
};

export type AnyJob = JobCommon & { inputs: unknown; params: unknown };
