import type { z } from 'zod';
import { jobSchemaFor } from '../../jobs/spec.ts';
import { aleInputsSchema, aleParamsSchema } from './params.ts';

export const aleJobSchema = jobSchemaFor('ale', aleInputsSchema, aleParamsSchema);
export type AleJob = z.infer<typeof aleJobSchema>;
