/** Supra-threshold clusters of an observed ALE map (6-connectivity, ALE > threshold). */
import { labelComponents } from '../volume/components.ts';
import type { AleGrid } from './ale.ts';

export interface AleCluster {
  /** 1-based label in `labels` */
  label: number;
  voxels: number;
  mass: number;
  peakIndex: number;
  peakAle: number;
}

export function aleClusters(grid: AleGrid, ale: Float64Array, threshold: number): { clusters: AleCluster[]; labels: Int32Array } {
  const n = ale.length;
  const bin = new Uint8Array(n);
  for (let v = 0; v < n; v++) bin[v] = grid.mask[v] && ale[v]! > threshold ? 1 : 0;
  const { labels, count, sizes } = labelComponents(bin, grid.dims, 6);
  const clusters: AleCluster[] = Array.from({ length: count }, (_, i) => ({ label: i + 1, voxels: sizes[i]!, mass: 0, peakIndex: -1, peakAle: -Infinity }));
  for (let v = 0; v < n; v++) {
    const l = labels[v]!;
    if (!l) continue;
    const c = clusters[l - 1]!;
    c.mass += ale[v]! - threshold;
    if (ale[v]! > c.peakAle) {
      c.peakAle = ale[v]!;
      c.peakIndex = v;
    }
  }
  clusters.sort((a, b) => b.voxels - a.voxels || b.peakAle - a.peakAle || a.peakIndex - b.peakIndex);
  return { clusters, labels };
}
