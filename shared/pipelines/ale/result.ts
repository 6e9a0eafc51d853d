/** The ale pipeline's result record (result.json) and its parts. */
import type { ClusterJackknife, ContrastResult } from './jackknife-contrast-outputs.ts';

export interface AleClusterRecord {
  voxels: number;
  volumeMm3: number;
  peakAle: number;
  peakMni: [number, number, number];
  mass: number;
  pFweSize: number;
  pFweMass: number;
  label: string;
  /** percent of the cluster's summed ALE lost when the experiment is left out */
  contributions: Record<string, number>;
  /** leave-one-experiment-out survival (params.jackknife) */
  jackknife?: ClusterJackknife;
}

export interface AleResult {
  pipeline: 'ale';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  nExperiments: number;
  nFoci: number;
  nSubjects: number;
  maskVoxels: number;
  maskSource: string;
  coordinateToVoxel: string;
  maxAle: number;
  maxAleMni: [number, number, number];
  nVoxelsP001: number;
  clusterFormingP: number;
  clusterFormingAle: number;
  iterations: number;
  /** per alpha: smallest surviving cluster (voxels); null when the iterations cannot resolve alpha */
  cfwe: Record<string, number | null>;
  clusters: AleClusterRecord[];
  /** the ALE contrast with inputs.coordinates2 */
  contrast?: ContrastResult;
  warnings: string[];
  shards: { batches: number };
  cost: { estimatedUsd: number; actualUsd: number; lambdaGbSeconds: number; stateTransitions: number; invocations: number };
  outputs: string[];
  methods: string;
}
