/** The transcriptomics pipeline's result record (result.json). */
import type { JobCost } from '../common/finish.ts';
import type { OmicsResult } from './omics.ts';

export interface TxResult {
  pipeline: 'transcriptomics';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  nRegions: number;
  nGenes: number;
  regions: { used: string[]; dropped: { region: string; reason: string }[]; genesDropped: number };
  parcellation?: { resampling: string; statistic: string; emptyRegions: string[] };
  pls: {
    varianceExplained: number;
    pPerm: number | null;
    pSpin: number | null;
    nPerm: number;
    exhaustive: boolean;
    nBoot: number;
    nSpin: number;
    spinMethod: string;
    components: { component: number; varianceExplained: number }[];
  };
  nGenesFdr05: { positive: number; negative: number };
  geneSpin?: { nSpin: number; nFdr05: number };
  correlations: { name: string; n: number; r: number; rho: number; pSpin: number | null; pSpinRho: number | null; nSpin: number }[];
  enrichment: OmicsResult['enrichment'];
  deg: OmicsResult['deg'];
  mcode: OmicsResult['mcode'];
  notIncluded: string[];
  cost: JobCost;
  outputs: string[];
  methods: string;
}
