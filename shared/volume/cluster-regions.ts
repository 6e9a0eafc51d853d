/**
 * Cluster tables as DPABI's cluster report and xjView give them: each surviving cluster
 * broken into the atlas regions it covers, with the number of cluster voxels in each region
 * and the region's own peak (the voxel of largest |stat| among the cluster's voxels in that
 * region, ties → lowest index) in MNI mm with its statistic. Voxels outside every region
 * form one row with label 0 and region "" (DPABI's "None", xjView's "undefined").
 *
 * Also: the study's minimum cluster size applied after correction (`applyMinClusterVoxels`),
 * and each subject's mean value in each cluster (`clusterValues`) for use as a covariate or
 * in a correlation.
 */
import { InvalidParameter } from '../errors.ts';
import { csvField } from '../jobs/csv.ts';
import { voxelToMm } from '../nifti/affine.ts';
import type { LabelTable } from './atlas-labels.ts';
import type { Cluster } from './clusters.ts';

export interface ClusterRegionRow {
  cluster: number;
  /** The cluster's tail: its `tail` when given (ids repeat across tails), else the sign of its peak. */
  tail: '+' | '-';
  /** Voxels of the whole cluster. */
  clusterVoxels: number;
  /** Atlas label (0 = outside every region). */
  label: number;
  /** Region name ('' outside every region or for a label missing from the table). */
  region: string;
  /** Cluster voxels in this region. */
  voxels: number;
  peakIndex: number;
  peakIjk: [number, number, number];
  peakMni: [number, number, number];
  /** stat at the region's peak (signed). */
  peakValue: number;
}

/** Keep clusters of at least `minVoxels` voxels (applied after GRF/permutation correction); ids kept. */
export function applyMinClusterVoxels(clusters: Cluster[], minVoxels: number): Cluster[] {
  if (!Number.isInteger(minVoxels) || minVoxels < 0) {
    throw new InvalidParameter(`minClusterVoxels must be a non-negative integer, got ${minVoxels}`, 'params.minClusterVoxels');
  }
  return clusters.filter((c) => c.voxels >= minVoxels);
}

/**
 * Rows of every cluster (in the given order) and region (by voxels desc, then label asc).
 * Clusters may carry their `tail` (ids of findClusters restart at 1 in each tail).
 * Clusters need `indices` (findClusters with keepIndices); the atlas is on the stat's grid.
 */
export function clusterRegions(
  stat: Float32Array,
  dims: readonly [number, number, number],
  affine: Float64Array,
  clusters: Array<Cluster & { tail?: '+' | '-' }>,
  atlas: ArrayLike<number>,
  table: LabelTable,
): ClusterRegionRow[] {
  const N = dims[0] * dims[1] * dims[2];
  if (stat.length !== N) throw new InvalidParameter(`statistic map has ${stat.length} voxels; dims need ${N}`);
  if (atlas.length !== N) throw new InvalidParameter(`atlas has ${atlas.length} voxels; the statistic map has ${N} (resample it to the data grid)`, 'atlas');
  const [nx, ny] = dims;
  const rows: ClusterRegionRow[] = [];
  for (const c of clusters) {
    if (!c.indices) throw new InvalidParameter(`cluster ${c.id} has no voxel indices; call findClusters with keepIndices = true`);
    const acc = new Map<number, { voxels: number; peak: number; abs: number }>();
    for (const v of c.indices) {
      const a = atlas[v];
      const l = Number.isFinite(a) ? Math.round(a) : 0;
      const s = Math.abs(stat[v]);
      const e = acc.get(l);
      if (!e) acc.set(l, { voxels: 1, peak: v, abs: s });
      else {
        e.voxels++;
        if (s > e.abs || (s === e.abs && v < e.peak)) {
          e.abs = s;
          e.peak = v;
        }
      }
    }
    const entries = [...acc.entries()].sort((x, y) => y[1].voxels - x[1].voxels || x[0] - y[0]);
    for (const [label, e] of entries) {
      const ijk: [number, number, number] = [e.peak % nx, Math.floor(e.peak / nx) % ny, Math.floor(e.peak / (nx * ny))];
      const mm = voxelToMm(affine, ijk[0], ijk[1], ijk[2]);
      rows.push({
        cluster: c.id,
        tail: c.tail ?? (c.peakValue < 0 ? '-' : '+'),
        clusterVoxels: c.voxels,
        label,
        region: label === 0 ? '' : (table.get(label) ?? ''),
        voxels: e.voxels,
        peakIndex: e.peak,
        peakIjk: ijk,
        peakMni: [round(mm[0]), round(mm[1]), round(mm[2])],
        peakValue: stat[e.peak],
      });
    }
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6 + 0; // + 0 turns −0 into 0
}

/**
 * `tables/<contrast>_cluster_regions.csv`: cluster, tail, cluster_voxels, label, region,
 * voxels, peak_x, peak_y, peak_z_mm, peak_<statName>.
 */
export function clusterRegionsCsv(rows: ClusterRegionRow[], statName = 't'): string {
  const head = ['cluster', 'tail', 'cluster_voxels', 'label', 'region', 'voxels', 'peak_x', 'peak_y', 'peak_z_mm', `peak_${statName}`];
  const lines = [head.join(',')];
  for (const r of rows) {
    lines.push(
      [r.cluster, r.tail, r.clusterVoxels, r.label, r.region, r.voxels, ...r.peakMni, Number(r.peakValue.toPrecision(6))]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Each subject's mean value in each cluster: Y is n × V subject-major; returns n × K
 * row-major (K clusters, in the given order). Non-finite voxel values are left out of a
 * subject's mean (NaN when none is left).
 */
export function clusterValues(Y: Float32Array, n: number, V: number, clusters: Cluster[]): Float64Array {
  if (Y.length !== n * V) throw new InvalidParameter(`subject maps hold ${Y.length} values; expected ${n} × ${V}`);
  const K = clusters.length;
  const out = new Float64Array(n * K);
  clusters.forEach((c, k) => {
    if (!c.indices) throw new InvalidParameter(`cluster ${c.id} has no voxel indices; call findClusters with keepIndices = true`);
    for (const v of c.indices) if (v < 0 || v >= V) throw new InvalidParameter(`cluster ${c.id} index ${v} outside 0..${V - 1}`);
    for (let s = 0; s < n; s++) {
      let sum = 0;
      let cnt = 0;
      const o = s * V;
      for (const v of c.indices) {
        const y = Y[o + v];
        if (Number.isFinite(y)) {
          sum += y;
          cnt++;
        }
      }
      out[s * K + k] = cnt > 0 ? sum / cnt : NaN;
    }
  });
  return out;
}

/** `tables/<contrast>_cluster_values.csv`: participant_id, then one column per cluster (cluster_<id>). */
export function clusterValuesCsv(subjects: string[], clusters: Cluster[], values: Float64Array): string {
  const K = clusters.length;
  if (values.length !== subjects.length * K) throw new InvalidParameter('cluster values do not match the subjects and clusters');
  const lines = [['participant_id', ...clusters.map((c) => `cluster_${c.id}`)].join(',')];
  subjects.forEach((s, i) => {
    lines.push([s, ...Array.from(values.subarray(i * K, i * K + K), (x) => (Number.isFinite(x) ? Number(x.toPrecision(8)) : ''))].map(csvField).join(','));
  });
  return lines.join('\n') + '\n';
}
