import type { z } from 'zod';
import { jobSchemaFor } from '../../jobs/spec.ts';
import { txInputsSchema, txParamsSchema } from './params.ts';

export const transcriptomicsJobSchema = jobSchemaFor('transcriptomics', txInputsSchema, txParamsSchema);
export type TranscriptomicsJob = z.infer<typeof transcriptomicsJobSchema>;
