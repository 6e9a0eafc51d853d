/**
 * Supra-threshold clusters of a statistic map (DPABI `y_GRF_Threshold`,
 * SPM/FSL cluster tables): each tail is thresholded and labelled separately,
 * and clusters smaller than a minimum extent are dropped.
 */
import { InvalidParameter } from '../errors.ts';
import { checkConnectivity, checkDims, labelComponents, type Connectivity } from './components.ts';

export interface Cluster {
  /** 1-based rank in the returned (sorted) list. */
  id: number;
  voxels: number;
  /** Linear index (x fastest) of the voxel with the largest |stat|; ties → lowest index. */
  peakIndex: number;
  /** stat at the peak (signed). */
  peakValue: number;
  /** Σ |stat| over the cluster's voxels. */
  mass: number;
  /** Voxel coordinates [i, j, k] of the peak. */
  peakIjk: [number, number, number];
  /** Linear indices of the cluster's voxels, ascending (only when keepIndices). */
  indices?: Int32Array;
}

/**
 * Clusters of stat ≥ threshold (tail '+') or stat ≤ −threshold (tail '−'),
 * thresholds inclusive, restricted to mask[v] ≠ 0 when a mask is given; NaN
 * voxels never qualify. Clusters with fewer than minVoxels voxels are dropped.
 * Sorted by voxels desc, then |peak| desc, then peakIndex asc; `id` is the
 * 1-based position in that order.
 */
export function findClusters(
  stat: Float32Array,
  dims: readonly [number, number, number],
  threshold: number,
  tail: '+' | '-',
  connectivity: Connectivity,
  minVoxels: number,
  mask?: Uint8Array,
  keepIndices = false,
): Cluster[] {
  const N = checkDims(dims);
  checkConnectivity(connectivity);
  if (stat.length !== N) {
    throw new InvalidParameter(`statistic map has ${stat.length} voxels; dims [${dims.join(', ')}] need ${N}`);
  }
  if (mask && mask.length !== N) throw new InvalidParameter(`mask has ${mask.length} voxels; expected ${N}`);
  if (!Number.isFinite(threshold)) throw new InvalidParameter(`cluster threshold must be finite, got ${threshold}`);
  if (tail !== '+' && tail !== '-') throw new InvalidParameter(`tail must be '+' or '-', got ${String(tail)}`);
  if (!(minVoxels >= 0)) throw new InvalidParameter(`minVoxels must be >= 0, got ${minVoxels}`);

  const supra = new Uint8Array(N);
  if (tail === '+') {
    for (let v = 0; v < N; v++) supra[v] = stat[v] >= threshold && (!mask || mask[v] !== 0) ? 1 : 0;
  } else {
    const lo = -threshold;
    for (let v = 0; v < N; v++) supra[v] = stat[v] <= lo && (!mask || mask[v] !== 0) ? 1 : 0;
  }
  const { labels, count, sizes } = labelComponents(supra, dims, connectivity);
  if (count === 0) return [];

  const peakIndex = new Int32Array(count).fill(-1);
  const peakAbs = new Float64Array(count);
  const mass = new Float64Array(count);
  for (let v = 0; v < N; v++) {
    const l = labels[v];
    if (l === 0) continue;
    const a = Math.abs(stat[v]);
    mass[l - 1] += a;
    // Scanning in index order with '>' keeps the lowest index on ties.
    if (peakIndex[l - 1] < 0 || a > peakAbs[l - 1]) {
      peakAbs[l - 1] = a;
      peakIndex[l - 1] = v;
    }
  }

  const keep: number[] = [];
  for (let l = 0; l < count; l++) if (sizes[l] >= minVoxels) keep.push(l);
  keep.sort(
    (a, b) => sizes[b] - sizes[a] || peakAbs[b] - peakAbs[a] || peakIndex[a] - peakIndex[b],
  );

  let indices: Int32Array[] | undefined;
  if (keepIndices && keep.length > 0) {
    indices = keep.map((l) => new Int32Array(sizes[l]));
    const slot = new Int32Array(count).fill(-1);
    keep.forEach((l, r) => (slot[l] = r));
    const fill = new Int32Array(keep.length);
    for (let v = 0; v < N; v++) {
      const l = labels[v];
      if (l === 0) continue;
      const r = slot[l - 1];
      if (r >= 0) indices[r][fill[r]++] = v;
    }
  }

  const [nx, ny] = dims;
  return keep.map((l, r) => {
    const pk = peakIndex[l];
    const c: Cluster = {
      id: r + 1,
      voxels: sizes[l],
      peakIndex: pk,
      peakValue: stat[pk],
      mass: mass[l],
      peakIjk: [pk % nx, Math.floor(pk / nx) % ny, Math.floor(pk / (nx * ny))],
    };
    if (indices) c.indices = indices[r];
    return c;
  });
}

/** Map where voxels of the given clusters keep stat, 0 elsewhere. Needs `indices` (keepIndices). */
export function clusterMap(stat: Float32Array, clusters: Cluster[], nVox: number): Float32Array {
  if (stat.length !== nVox) throw new InvalidParameter(`statistic map has ${stat.length} voxels; expected ${nVox}`);
  const out = new Float32Array(nVox);
  for (const c of clusters) {
    if (!c.indices) {
      throw new InvalidParameter(`cluster ${c.id} has no voxel indices; call findClusters with keepIndices = true`);
    }
    for (const v of c.indices) {
      if (v < 0 || v >= nVox) throw new InvalidParameter(`cluster ${c.id} index ${v} outside 0..${nVox - 1}`);
      out[v] = stat[v];
    }
  }
  return out;
}
