import type { z } from 'zod';
import { jobSchemaFor } from '../../jobs/spec.ts';
import { GROUP_PARAMS_DESCRIPTION, rehoInputsSchema, rehoParamsSchema, type GroupParams } from './params.ts';

/** A reho job with params.group only checked for its contrasts (the shape reho's own modules see). */
export const rehoJobSchema = jobSchemaFor('reho', rehoInputsSchema, rehoParamsSchema);
export type RehoJob = z.infer<typeof rehoJobSchema>;

/** The reho job schema whose params.group is checked and normalised by `groupParams` (the glm params schema, from the registry). */
export function rehoJobSchemaWith(groupParams: z.ZodType<GroupParams>) {
  return jobSchemaFor('reho', rehoInputsSchema, rehoParamsSchema.extend({ group: groupParams.optional().describe(GROUP_PARAMS_DESCRIPTION) }));
}
