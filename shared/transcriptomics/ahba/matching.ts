/**
 * Tissue sample → atlas region matching for a volumetric label atlas, as abagen
 * (`AtlasTree.label_samples`, Markello et al. 2021) does it:
 *
 * - sample coordinates are first snapped to the atlas grid: c ← ⌊c/v⌋·v per axis, v the
 *   voxel size (abagen `update_coords`);
 * - for radius r = 0, 1, …, tolerance mm (default 2) the labelled voxels whose centres
 *   lie within r of the sample are collected; when atlas info is given and the sample
 *   carries hemisphere and structure, voxels of regions that disagree are discarded
 *   (bilateral "B" regions: structure only; L/R regions: hemisphere and structure);
 * - one region left → that region; several → the most frequent among the voxels; a tie
 *   for most frequent → the region, among all candidates, whose centroid (mean voxel
 *   coordinate over the whole atlas) is nearest to the sample (lowest label on equal
 *   distance); none → try the next radius; none at the last radius → 0 (unmatched).
 */
import { invertAffine, voxelToMm } from '../../nifti/affine.ts';
import { InvalidAhbaData } from './errors.ts';
import type { AtlasInfoRow } from './files.ts';

export interface LabelVolume {
  /** [nx, ny, nz, …] */
  dims: number[];
  /** row-major 4×4 voxel → mm */
  affine: Float64Array;
  /** integer labels (0 = background), x fastest */
  data: ArrayLike<number>;
}

export interface AtlasIndex {
  volume: LabelVolume;
  inverse: Float64Array;
  voxelSize: [number, number, number];
  /** sorted non-zero labels present in the volume */
  labels: number[];
  centroids: Map<number, [number, number, number]>;
  /** voxel counts per label */
  voxels: Map<number, number>;
  info: Map<number, AtlasInfoRow> | undefined;
}

export interface SampleLocation {
  x: number;
  y: number;
  z: number;
  /** from the AHBA ontology; both needed for the consistency check */
  hemisphere?: 'L' | 'R' | 'B';
  structure?: string | undefined;
}

/** Index a label volume: labels, centroids (mm) and voxel sizes. */
export function buildAtlasIndex(volume: LabelVolume, info?: AtlasInfoRow[]): AtlasIndex {
  const [nx, ny, nz] = volume.dims as [number, number, number];
  if (!(nx > 0 && ny > 0 && nz > 0) || volume.data.length < nx * ny * nz) {
    throw new InvalidAhbaData('atlas volume dimensions do not match its data', 'atlas');
  }
  const a = volume.affine;
  const col = (c: number) => Math.hypot(a[c]!, a[4 + c]!, a[8 + c]!);
  const voxelSize: [number, number, number] = [col(0), col(1), col(2)];
  const sums = new Map<number, [number, number, number, number]>();
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const l = Math.round(volume.data[i + nx * (j + ny * k)]!);
        if (l === 0 || !Number.isFinite(l)) continue;
        const [x, y, z] = voxelToMm(a, i, j, k);
        const s = sums.get(l);
        if (s) {
          s[0] += x;
          s[1] += y;
          s[2] += z;
          s[3]++;
        } else sums.set(l, [x, y, z, 1]);
      }
  const labels = [...sums.keys()].sort((p, q) => p - q);
  const centroids = new Map<number, [number, number, number]>();
  const voxels = new Map<number, number>();
  for (const l of labels) {
    const s = sums.get(l)!;
    centroids.set(l, [s[0] / s[3], s[1] / s[3], s[2] / s[3]]);
    voxels.set(l, s[3]);
  }
  return {
    volume,
    inverse: invertAffine(a),
    voxelSize,
    labels,
    centroids,
    voxels,
    info: info ? new Map(info.map((r) => [r.id, r])) : undefined,
  };
}

/** abagen's grid snap: ⌊c/v⌋·v on each axis. */
export function snapToGrid(s: SampleLocation, voxelSize: [number, number, number]): SampleLocation {
  return { ...s, x: Math.floor(s.x / voxelSize[0]) * voxelSize[0], y: Math.floor(s.y / voxelSize[1]) * voxelSize[1], z: Math.floor(s.z / voxelSize[2]) * voxelSize[2] };
}

function consistent(index: AtlasIndex, label: number, s: SampleLocation): boolean {
  if (!index.info || s.hemisphere === undefined || !('structure' in s)) return true;
  const r = index.info.get(label);
  if (!r) return true;
  if (r.hemisphere === 'B') return r.structure === s.structure;
  return r.hemisphere === s.hemisphere && r.structure === s.structure;
}

/** Labels (one entry per voxel, consistent ones only) of voxels within `r` mm of the (already snapped) sample. */
export function labelsWithin(index: AtlasIndex, s: SampleLocation, r: number): number[] {
  const { volume, inverse, voxelSize } = index;
  const [nx, ny, nz] = volume.dims as [number, number, number];
  const [ci, cj, ck] = voxelToMm(inverse, s.x, s.y, s.z);
  const ri = r / voxelSize[0] + 1;
  const rj = r / voxelSize[1] + 1;
  const rk = r / voxelSize[2] + 1;
  const r2 = r * r + 1e-9;
  const out: number[] = [];
  for (let k = Math.max(0, Math.floor(ck - rk)); k <= Math.min(nz - 1, Math.ceil(ck + rk)); k++)
    for (let j = Math.max(0, Math.floor(cj - rj)); j <= Math.min(ny - 1, Math.ceil(cj + rj)); j++)
      for (let i = Math.max(0, Math.floor(ci - ri)); i <= Math.min(nx - 1, Math.ceil(ci + ri)); i++) {
        const l = Math.round(volume.data[i + nx * (j + ny * k)]!);
        if (l === 0 || !Number.isFinite(l)) continue;
        const [x, y, z] = voxelToMm(volume.affine, i, j, k);
        if ((x - s.x) ** 2 + (y - s.y) ** 2 + (z - s.z) ** 2 > r2) continue;
        if (consistent(index, l, s)) out.push(l);
      }
  return out;
}

/** abagen's choice among candidate voxel labels; 0 when there are none. */
export function assignLabel(index: AtlasIndex, candidates: number[], s: SampleLocation): number {
  if (candidates.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const l of candidates) counts.set(l, (counts.get(l) ?? 0) + 1);
  const labels = [...counts.keys()].sort((p, q) => p - q);
  if (labels.length === 1) return labels[0]!;
  let max = 0;
  for (const l of labels) max = Math.max(max, counts.get(l)!);
  const top = labels.filter((l) => counts.get(l) === max);
  if (top.length === 1) return top[0]!;
  let best = labels[0]!;
  let bestD = Infinity;
  for (const l of labels) {
    const c = index.centroids.get(l)!;
    const d = Math.hypot(c[0] - s.x, c[1] - s.y, c[2] - s.z);
    if (d < bestD) {
      bestD = d;
      best = l;
    }
  }
  return best;
}

/** Label of one sample (coordinates as given; snap first with `snapToGrid` as abagen does). */
export function matchSample(index: AtlasIndex, s: SampleLocation, tolerance = 2): number {
  for (let r = 0; r <= tolerance; r++) {
    const l = assignLabel(index, labelsWithin(index, s, r), s);
    if (l !== 0) return l;
  }
  return 0;
}

/** Labels of many samples (0 = unmatched); `snap` (default true) applies abagen's grid snap first. */
export function matchSamples(index: AtlasIndex, samples: SampleLocation[], tolerance = 2, snap = true): Int32Array {
  const out = new Int32Array(samples.length);
  samples.forEach((s, n) => {
    out[n] = matchSample(index, snap ? snapToGrid(s, index.voxelSize) : s, tolerance);
  });
  return out;
}
