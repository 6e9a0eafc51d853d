import type { z } from 'zod';
import { jobSchemaFor } from '../../jobs/spec.ts';
import { rehoInputsSchema, rehoParamsSchema } from './params.ts';

export const rehoJobSchema = jobSchemaFor('reho', rehoInputsSchema, rehoParamsSchema);
export type RehoJob = z.infer<typeof rehoJobSchema>;
