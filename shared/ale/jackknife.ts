/**
 * Leave-one-experiment-out jackknife of ALE clusters. Without experiment e the ALE map
 * is recomputed and thresholded at the full analysis's cluster-forming ALE; a cluster of
 * the full analysis survives when it overlaps a leave-out cluster (6-connectivity) of at
 * least `minClusterSize` voxels (the full analysis's cFWE extent).
 */
import { labelComponents } from '../volume/components.ts';
import type { AleGrid, SparseMa } from './ale.ts';
import { computeAle } from './ale.ts';

export interface JackknifeOutcome {
  /** per full-analysis cluster (0-based, in `fullLabels` order 1..n): 1 = survives */
  survives: Uint8Array;
  /** per cluster: largest leave-out ALE over the cluster's voxels */
  maxAle: Float64Array;
  /** per cluster: size (voxels) of the largest overlapping leave-out cluster (0 if none) */
  overlapVoxels: Int32Array;
}

/**
 * `fullLabels`: full grid, 1..nClusters for the full analysis's clusters, 0 elsewhere.
 * `minClusterSize` null = no extent requirement (any overlapping supra-threshold cluster).
 */
export function jackknifeOne(grid: AleGrid, ma: SparseMa[], skip: number, threshold: number, minClusterSize: number | null, fullLabels: Int32Array, nClusters: number): JackknifeOutcome {
  const ale = computeAle(grid, ma, skip);
  const n = ale.length;
  const bin = new Uint8Array(n);
  for (let v = 0; v < n; v++) bin[v] = grid.mask[v] && ale[v]! > threshold ? 1 : 0;
  const { labels, sizes } = labelComponents(bin, grid.dims, 6);
  const maxAle = new Float64Array(nClusters);
  const overlapVoxels = new Int32Array(nClusters);
  for (let v = 0; v < n; v++) {
    const c = fullLabels[v]!;
    if (!c) continue;
    if (ale[v]! > maxAle[c - 1]!) maxAle[c - 1] = ale[v]!;
    const l = labels[v]!;
    if (l && sizes[l - 1]! > overlapVoxels[c - 1]!) overlapVoxels[c - 1] = sizes[l - 1]!;
  }
  const need = minClusterSize ?? 1;
  const survives = Uint8Array.from(overlapVoxels, (s) => (s > 0 && s >= need ? 1 : 0));
  return { survives, maxAle, overlapVoxels };
}
