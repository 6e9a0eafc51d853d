import type { z } from 'zod';
import { jobSchemaFor } from '../../jobs/spec.ts';
import { netmapInputsSchema, netmapParamsSchema } from './params.ts';

export const netmapJobSchema = jobSchemaFor('netmap', netmapInputsSchema, netmapParamsSchema);
export type NetmapJob = z.infer<typeof netmapJobSchema>;
