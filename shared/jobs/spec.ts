import { z } from 'zod';

/** Spending and fan-out limits of one job. */
export const budgetSchema = z
  .object({
    maxUsd: z.number().positive().max(100_000).default(5).describe('refuse the job when the plan estimates more dollars than this'),
    maxConcurrency: z.number().int().min(1).max(10_000).default(200).describe('most shards running at once'),
  })
  .strict();

export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** Fields every job has, whatever its pipeline (DESIGN §6). */
export const commonJobFields = {
  jobId: z.string().regex(JOB_ID, 'letters, digits, ".", "_" and "-" only, at most 80 characters, not starting with a dot or dash').describe('names the results folder'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1).describe('seed of every random stream of the job'),
  budget: budgetSchema.default({ maxUsd: 5, maxConcurrency: 200 }),
  description: z.string().max(2000).optional(),
};

/** A pipeline's job schema: the common fields plus its own inputs and params. */
export function jobSchemaFor<P extends string, I extends z.ZodType, Q extends z.ZodType>(pipeline: P, inputs: I, params: Q) {
  return z.object({ ...commonJobFields, pipeline: z.literal(pipeline), inputs, params }).strict();
}

export type Budget = z.infer<typeof budgetSchema>;

/** What generic code (runner, planner, failure path) may rely on in any job. */
export interface JobCommon {
  jobId: string;
  pipeline: string;
  seed: number;
  budget: Budget;
}
