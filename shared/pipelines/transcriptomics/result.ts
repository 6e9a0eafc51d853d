/** The transcriptomics pipeline's result record (result.json). */
import type { JobCost } from '../common/finish.ts';
import type { OmicsResult } from './omics.ts';
import type { TranscriptomicsResultLike } from '../../report/transcriptomics.ts';

/** The fields the report reads keep the report's shapes (one definition). */
type Shown = TranscriptomicsResultLike;

export interface TxResult {
  pipeline: 'transcriptomics';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  nRegions: number;
  nGenes: number;
  regions: NonNullable<Shown['regions']>;
  parcellation?: Shown['parcellation'];
  pls: Shown['pls'];
  nGenesFdr05: Shown['nGenesFdr05'];
  geneSpin?: Shown['geneSpin'];
  correlations: NonNullable<Shown['correlations']>;
  enrichment: OmicsResult['enrichment'];
  deg: OmicsResult['deg'];
  mcode: OmicsResult['mcode'];
  notIncluded: string[];
  cost: JobCost;
  outputs: string[];
  methods: string;
}
