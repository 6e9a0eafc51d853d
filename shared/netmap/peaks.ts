/**
 * Peaks of a map: the maximum (or minimum) within a mask with all its ties, and local
 * maxima at a minimum distance (ALGORITHMS §H: "peak of a map within a mask (report ties)").
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { voxelToMm } from '../nifti/affine.ts';
import type { GridGeometry } from '../volume/spheres.ts';
import { assertSameLength as sameLength, gridVoxelCount as gridSize } from './map-grid.ts';

export interface PeakVoxel {
  /** linear index (x fastest) */
  index: number;
  ijk: [number, number, number];
  /** MNI (or scanner) mm through the grid affine */
  mm: [number, number, number];
}

export interface Peak {
  value: number;
  /** every voxel holding `value`, in increasing linear index; more than one means a tie */
  voxels: PeakVoxel[];
}

function peakVoxel(index: number, grid: GridGeometry, affine: Float64Array): PeakVoxel {
  const [nx, ny] = grid.dims;
  const i = index % nx;
  const j = Math.floor(index / nx) % ny;
  const k = Math.floor(index / (nx * ny));
  return { index, ijk: [i, j, k], mm: voxelToMm(affine, i, j, k) };
}

/**
 * The maximum (or, with `mode: 'min'`, the minimum) of a map over the voxels where `mask`
 * is set, NaN voxels ignored, with every voxel that shares that exact value (ties) in index
 * order and their mm coordinates. Throws EmptyData when no voxel is usable.
 */
export function findPeak(map: Float32Array, grid: GridGeometry, opts: { mask?: Uint8Array; mode?: 'max' | 'min' } = {}, input = 'map'): Peak {
  const V = gridSize(grid, input);
  sameLength(V, map.length, input, input);
  const mask = opts.mask;
  if (mask) sameLength(V, mask.length, 'the mask', input);
  const sign = opts.mode === 'min' ? -1 : 1;
  if (opts.mode !== undefined && opts.mode !== 'max' && opts.mode !== 'min') throw new InvalidParameter(`peak mode must be 'max' or 'min', got ${String(opts.mode)}`, input);
  let best = -Infinity;
  let first = -1;
  let ties = 0;
  for (let v = 0; v < V; v++) {
    if (mask && mask[v] === 0) continue;
    const x = sign * map[v]!;
    if (Number.isNaN(x)) continue;
    if (x > best || first < 0) {
      best = x;
      first = v;
      ties = 1;
    } else if (x === best) ties++;
  }
  if (first < 0) throw new EmptyData('no voxel with a value inside the mask', input);
  const affine = Float64Array.from(grid.affine);
  const voxels: PeakVoxel[] = [];
  for (let v = first; v < V && voxels.length < ties; v++) {
    if (mask && mask[v] === 0) continue;
    if (sign * map[v]! === best) voxels.push(peakVoxel(v, grid, affine));
  }
  return { value: sign * best, voxels };
}

export interface LocalMaximum extends PeakVoxel {
  value: number;
}

/**
 * Up to `k` local maxima of a map inside `mask`, highest first (ties by index). A local
 * maximum is a usable voxel (in the mask, not NaN) whose value is ≥ that of each usable
 * voxel among its 26 neighbours (so every voxel of a flat plateau qualifies). Candidates
 * are taken greedily in that order and kept when they lie at least `minDistanceMm` (mm,
 * Euclidean, ≥) from every maximum already kept. Only values > `minValue` (default −∞)
 * qualify.
 */
export function localMaxima(
  map: Float32Array,
  grid: GridGeometry,
  opts: { k?: number; minDistanceMm?: number; mask?: Uint8Array; minValue?: number } = {},
  input = 'map',
): LocalMaximum[] {
  const V = gridSize(grid, input);
  sameLength(V, map.length, input, input);
  const mask = opts.mask;
  if (mask) sameLength(V, mask.length, 'the mask', input);
  const kMax = opts.k ?? 10;
  const minD = opts.minDistanceMm ?? 0;
  const minValue = opts.minValue ?? -Infinity;
  if (!Number.isInteger(kMax) || kMax < 1 || kMax > 1_000_000) throw new InvalidParameter(`k must be an integer in 1…1,000,000, got ${kMax}`, input);
  if (!Number.isFinite(minD) || minD < 0) throw new InvalidParameter(`minimum peak distance must be a finite number ≥ 0 mm, got ${minD}`, input);
  if (Number.isNaN(minValue)) throw new InvalidParameter('minValue must not be NaN', input);
  const [nx, ny, nz] = grid.dims;
  const usable = (v: number) => (!mask || mask[v] !== 0) && !Number.isNaN(map[v]!);
  const cand: number[] = [];
  for (let kk = 0; kk < nz; kk++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * kk);
        if (!usable(v)) continue;
        const x = map[v]!;
        if (!(x > minValue)) continue;
        let isMax = true;
        for (let dk = -1; dk <= 1 && isMax; dk++) {
          const k2 = kk + dk;
          if (k2 < 0 || k2 >= nz) continue;
          for (let dj = -1; dj <= 1 && isMax; dj++) {
            const j2 = j + dj;
            if (j2 < 0 || j2 >= ny) continue;
            for (let di = -1; di <= 1; di++) {
              const i2 = i + di;
              if (i2 < 0 || i2 >= nx || (di === 0 && dj === 0 && dk === 0)) continue;
              const w = i2 + nx * (j2 + ny * k2);
              if (usable(w) && map[w]! > x) {
                isMax = false;
                break;
              }
            }
          }
        }
        if (isMax) cand.push(v);
      }
    }
  }
  cand.sort((p, q) => map[q]! - map[p]! || p - q);
  const affine = Float64Array.from(grid.affine);
  const kept: LocalMaximum[] = [];
  const d2 = minD * minD * (1 - 1e-12);
  for (const v of cand) {
    if (kept.length >= kMax) break;
    const pv = peakVoxel(v, grid, affine);
    const far = kept.every((m) => (m.mm[0] - pv.mm[0]) ** 2 + (m.mm[1] - pv.mm[1]) ** 2 + (m.mm[2] - pv.mm[2]) ** 2 >= d2);
    if (far) kept.push({ ...pv, value: map[v]! });
  }
  return kept;
}
