/**
 * A workflow started by another workflow as one of its steps (reho's group step starts the glm
 * workflow): the started job writes its maps and tables under the parent's results folder,
 * its report under its own name there, and its result record to a work key the parent's
 * reducer reads, so that the parent writes the job's one result.json, last.
 */
import { z } from 'zod';

export const embeddingSchema = z
  .object({
    resultsDir: z.string().min(1).describe("the parent job's results folder (storage key prefix)"),
    resultKey: z.string().min(1).describe("storage key of the started job's result record, read by the parent's reducer"),
    report: z.string().regex(/^[A-Za-z0-9._-]{1,80}\.html$/, 'a file name ending in .html').describe("the started job's report, under resultsDir"),
  })
  .strict();

export type Embedding = z.infer<typeof embeddingSchema>;
