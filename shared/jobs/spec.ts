import { z } from 'zod';
import { InvalidJobSpec } from '../errors.ts';
import { glmInputsSchema, glmParamsSchema } from '../pipelines/glm/params.ts';

/** Spending and fan-out limits of one job. */
export const budgetSchema = z
  .object({
    maxUsd: z.number().positive().max(100_000).default(5).describe('refuse the job when the plan estimates more dollars than this'),
    maxConcurrency: z.number().int().min(1).max(10_000).default(200).describe('most shards running at once'),
  })
  .strict();

const common = {
  jobId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'letters, digits, ".", "_" and "-" only, at most 80 characters, not starting with a dot or dash')
    .describe('names the results folder'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1).describe('seed of every random stream of the job'),
  budget: budgetSchema.default({ maxUsd: 5, maxConcurrency: 200 }),
  description: z.string().max(2000).optional(),
};

export const glmJobSchema = z
  .object({ ...common, pipeline: z.literal('glm'), inputs: glmInputsSchema, params: glmParamsSchema })
  .strict();

export const jobSchema = z.discriminatedUnion('pipeline', [glmJobSchema]);

export type GlmJob = z.infer<typeof glmJobSchema>;
export type Job = z.infer<typeof jobSchema>;
export type Budget = z.infer<typeof budgetSchema>;

/** Parse and normalise a job spec (defaults filled in); a bad spec becomes InvalidJobSpec naming the field. */
export function parseJob(raw: unknown): Job {
  if (typeof raw === 'object' && raw !== null && 'pipeline' in raw) {
    const p = (raw as { pipeline: unknown }).pipeline;
    if (!['glm'].includes(String(p))) {
      throw new InvalidJobSpec(`pipeline "${String(p)}" is not available; choose one of: glm`, 'pipeline');
    }
  }
  const res = jobSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new InvalidJobSpec(`job.json: ${path ? path + ': ' : ''}${issue.message}`, path || 'job.json');
  }
  return res.data;
}

export function parseJobText(text: string, source: string): Job {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidJobSpec(`${source} is not valid JSON: ${(e as Error).message}`, source);
  }
  return parseJob(raw);
}
