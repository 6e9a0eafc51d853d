/** The glm pipeline's result record (result.json) and its parts. */
import type { MaskInfo } from './mask.ts';
import type { Statistic } from '../../permutation/engine.ts';

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

export interface GlmResult {
  pipeline: 'glm';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  mask: MaskInfo;
  contrasts: Record<string, ContrastResult>;
  shards: { subjects: number; slabs: number; permutationBatches: number };
  cost: { estimatedUsd: number; actualUsd: number; lambdaGbSeconds: number; stateTransitions: number; invocations: number };
  outputs: string[];
  methods: string;
}
