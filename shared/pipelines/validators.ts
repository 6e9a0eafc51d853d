/**
 * What the Validate task needs of each pipeline (its job schema and input validation), one
 * loader per pipeline: a Validate thread imports the modules of the job's own pipeline, not
 * every pipeline's (each pipeline's validation graph is 120–170 modules). `registry.ts` builds
 * the full table from these loaders, so both hold the same objects.
 */
import type { z } from 'zod';
import type { TaskEnv } from '../runtime/task.ts';
import type { JobCommon } from '../jobs/spec.ts';
import type { Embedding } from './common/embed.ts';
import type { RehoJob } from './reho/job.ts';
import type { GlmParams } from './glm/params.ts';
import { loadModule } from '../runtime/load-module.ts';

export interface PipelineValidation {
  jobSchema: z.ZodType;
  /** check inputs against the spec, write the context; return its key */
  validate(env: TaskEnv, job: never, jobUri: string): Promise<{ workDir: string }>;
  /** the same, for a job another workflow starts as one of its steps (its outputs go where `embed` says); only pipelines that can be embedded */
  validateEmbedded?(env: TaskEnv, job: never, jobUri: string, embed: Embedding): Promise<{ workDir: string }>;
}

export type AnyJob = JobCommon & { inputs: unknown; params: unknown };

type Validate = PipelineValidation['validate'];
type ValidateEmbedded = NonNullable<PipelineValidation['validateEmbedded']>;

/** A module of this folder, loaded on demand (`loadModule`: import, or require in a local worker thread). */
const load = <T>(path: string, viaImport: () => Promise<T>): Promise<T> => loadModule(new URL(path, import.meta.url), viaImport);

/** Every pipeline by the name `job.json` uses (each has `statemachines/<name>.asl.json`); literal imports, so bundlers see them. */
const LOADERS: Record<string, () => Promise<PipelineValidation>> = {
  glm: async () => {
    const [{ glmJobSchema }, { validateGlm }] = await Promise.all([load('./glm/job.ts', () => import('./glm/job.ts')), load('./glm/validate.ts', () => import('./glm/validate.ts'))]);
    return { jobSchema: glmJobSchema, validate: validateGlm as Validate, validateEmbedded: validateGlm as ValidateEmbedded };
  },
  ale: async () => {
    const [{ aleJobSchema }, { validateAle }] = await Promise.all([load('./ale/job.ts', () => import('./ale/job.ts')), load('./ale/validate.ts', () => import('./ale/validate.ts'))]);
    return { jobSchema: aleJobSchema, validate: validateAle as Validate };
  },
  // reho's params.group is the params of the glm job its group step starts: glm's schema and design check
  reho: async () => {
    const [{ rehoJobSchemaWith }, { validateReho }, { glmParamsSchema }, { checkGlmDesign }] = await Promise.all([
      load('./reho/job.ts', () => import('./reho/job.ts')),
      load('./reho/validate.ts', () => import('./reho/validate.ts')),
      load('./glm/params.ts', () => import('./glm/params.ts')),
      load('./glm/validate.ts', () => import('./glm/validate.ts')),
    ]);
    return {
      jobSchema: rehoJobSchemaWith(glmParamsSchema),
      validate: ((env: TaskEnv, job: RehoJob, jobUri: string) =>
        validateReho(env, job, jobUri, (table, mapColumn, group, source) => checkGlmDesign(table, mapColumn, group as GlmParams, source, 'params.group'))) as Validate,
    };
  },
  netmap: async () => {
    const [{ netmapJobSchema }, { validateNetmap }] = await Promise.all([load('./netmap/job.ts', () => import('./netmap/job.ts')), load('./netmap/validate.ts', () => import('./netmap/validate.ts'))]);
    return { jobSchema: netmapJobSchema, validate: validateNetmap as Validate };
  },
  transcriptomics: async () => {
    const [{ transcriptomicsJobSchema }, { validateTranscriptomics }] = await Promise.all([load('./transcriptomics/job.ts', () => import('./transcriptomics/job.ts')), load('./transcriptomics/validate.ts', () => import('./transcriptomics/validate.ts'))]);
    return { jobSchema: transcriptomicsJobSchema, validate: validateTranscriptomics as Validate };
  },
};

/** The pipelines, in the order error messages list them. */
export const PIPELINE_NAMES: readonly string[] = Object.keys(LOADERS);

const loaded = new Map<string, Promise<PipelineValidation>>();

/** The validation of pipeline `name`, loaded once per thread; undefined for a name that is no pipeline. */
export function pipelineValidation(name: string): Promise<PipelineValidation> | undefined {
  if (!Object.hasOwn(LOADERS, name)) return undefined;
  let v = loaded.get(name);
  if (!v) {
    v = LOADERS[name]!();
    // a failed import is not cached: the next call tries again (and reports the same error)
    v.catch(() => loaded.delete(name));
    loaded.set(name, v);
  }
  return v;
}
