/** The glm pipeline's result record (result.json) and its parts. */
import type { MaskInfo } from './mask.ts';
import type { Statistic } from '../../permutation/engine.ts';
import type { DemographicsResult } from '../../stats/demographics.ts';

export interface ClusterRecord {
  tail: '+' | '-';
  voxels: number;
  volumeMm3: number;
  peakT: number;
  peakZ: number;
  peakMni: [number, number, number];
  label: string;
  /** FWE p (permutation) of the permutation cluster holding this cluster's peak, when cluster statistics were requested */
  pFweExtent?: number | null;
  pFweMass?: number | null;
}

export interface PermClusterRecord {
  voxels: number;
  volumeMm3: number;
  mass: number;
  peakT: number;
  peakZ: number;
  peakMni: [number, number, number];
  label: string;
  pFweExtent: number;
  pFweMass: number;
}

export interface PermutationResult {
  permutations: number;
  exhaustive: boolean;
  uniqueRelabellings: string;
  seed: number;
  statistics: Statistic[];
  twoTailed: boolean;
  clusterFormingZ: number;
  connectivity: number;
  tfce: { H: number; E: number; dh: number | 'max/100' };
  /** 95th and 99th percentiles of each statistic's null maximum (z, voxels, Σz, TFCE) */
  nullQuantiles: Partial<Record<Statistic, { q95: number; q99: number }>>;
  /** smallest FWE p per statistic and voxels with FWE p ≤ 0.05 */
  minFweP: Partial<Record<Statistic, number>>;
  voxelsFwe05: Partial<Record<Statistic, number>>;
  voxelsFdr05: number;
  clusters: PermClusterRecord[];
}

export interface ContrastResult {
  /** 'F' for an F-contrast (maxT/minT are then the F range, dof the denominator df) */
  kind?: 'F';
  /** F-contrast: [numerator (rank), denominator] df */
  df?: [number, number];
  rows?: number[][];
  /** params.minClusterVoxels as applied to this contrast's clusters (after correction) */
  minClusterVoxels?: number;
  /** rows of tables/<contrast>_cluster_regions.csv */
  regionRows?: number;
  dof: number;
  nSubjects: number;
  columns: string[];
  contrast: number[];
  maxT: number;
  minT: number;
  dLh: number;
  fwhmMm: [number, number, number];
  resels: number;
  zThreshold: number;
  clusterSizeThreshold: number;
  clusters: ClusterRecord[];
  permutation?: PermutationResult;
}

/** One subgroup analysis (params.analyses): outputs under analyses/<name>/. */
export interface AnalysisSummary {
  filter: Record<string, string | number | (string | number)[]>;
  referenceGroups: string[];
  nSubjects: number;
  groups: Record<string, number>;
  subjects: string[];
  demographics: DemographicsResult | null;
  contrasts: Record<string, ContrastResult>;
}

export interface DeviationSummary {
  reference: string;
  nReference: number;
  covariates: string[];
  patients: { group: string; n: number; subjects: string[]; meanZRange: [number, number] }[];
  comparison?: { groups: [string, string]; df: number; tRange: [number, number] };
}

export interface GlmResult {
  pipeline: 'glm';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  mask: MaskInfo;
  /** what was accepted but is suspicious (e.g. mask voxels lost to non-finite data) */
  warnings: string[];
  contrasts: Record<string, ContrastResult>;
  shards: { subjects: number; slabs: number; permutationBatches: number };
  cost: { estimatedUsd: number; actualUsd: number; lambdaGbSeconds: number; stateTransitions: number; invocations: number };
  outputs: string[];
  methods: string;
  /** Table 1 (null when the job has fewer than 2 groups) */
  demographics?: DemographicsResult | null;
  analyses?: Record<string, AnalysisSummary>;
  deviation?: DeviationSummary;
  /** the atlas of the cluster region tables (null: none applied) */
  clusterAtlas?: string | null;
  minClusterVoxels?: number;
}
