import type { z } from 'zod';
import { jobSchemaFor } from '../../jobs/spec.ts';
import { glmInputsSchema, glmParamsSchema } from './params.ts';

export const glmJobSchema = jobSchemaFor('glm', glmInputsSchema, glmParamsSchema);
export type GlmJob = z.infer<typeof glmJobSchema>;
