/**
 * Modeled activation (MA) and ALE maps on a voxel grid restricted to a mask.
 *
 * MA_e(v) = max over experiment e's foci of kernel_e(v - focus), clipped at the grid
 * edge, zero outside the mask (a focus outside the mask still reaches in-mask voxels).
 * ALE(v) = 1 - prod_e (1 - MA_e(v)), multiplied in experiment order.
 */
import { InvalidParameter } from '../errors.ts';
import { invertAffine } from '../nifti/affine.ts';
import type { AleKernel } from './kernel.ts';

export interface AleGrid {
  dims: [number, number, number];
  /** row-major 4x4 voxel -> mm */
  affine: Float64Array;
  /** isotropic voxel size in mm */
  voxelMm: number;
  /** 1 = in the analysis mask (NIfTI order, x fastest) */
  mask: Uint8Array;
  /** flat indices of the in-mask voxels, ascending */
  maskIndex: Int32Array;
}

export function makeGrid(dims: [number, number, number], affine: Float64Array | number[], mask: Uint8Array | Float32Array): AleGrid {
  const a = Float64Array.from(affine);
  const n = dims[0] * dims[1] * dims[2];
  if (mask.length !== n) throw new InvalidParameter(`mask has ${mask.length} voxels, the grid ${n}`);
  const sizes = [0, 1, 2].map((c) => Math.hypot(a[c]!, a[4 + c]!, a[8 + c]!));
  if (Math.max(...sizes) - Math.min(...sizes) > 1e-4 * sizes[0]!) {
    throw new InvalidParameter(`ALE needs an isotropic grid; voxel size is ${sizes.map((s) => s.toFixed(3)).join(' × ')} mm`, 'inputs.mask');
  }
  const m = new Uint8Array(n);
  let count = 0;
  for (let v = 0; v < n; v++) {
    const x = mask[v]!;
    if (x !== 0 && Number.isFinite(x)) {
      m[v] = 1;
      count++;
    }
  }
  const maskIndex = new Int32Array(count);
  for (let v = 0, c = 0; v < n; v++) if (m[v]) maskIndex[c++] = v;
  return { dims: [...dims], affine: a, voxelMm: sizes[0]!, mask: m, maskIndex };
}

export type CoordinateToVoxel = 'truncate' | 'round';

/**
 * mm -> voxel indices through the inverse affine: truncation toward zero (the
 * reference's int()) or rounding to the nearest voxel. Returns i, j, k per focus
 * (indices may lie outside the grid).
 */
export function fociToVoxels(foci: readonly (readonly number[])[], affine: Float64Array, mode: CoordinateToVoxel): Int32Array {
  const inv = invertAffine(affine);
  const out = new Int32Array(foci.length * 3);
  const f = mode === 'round' ? Math.round : Math.trunc;
  foci.forEach((p, n) => {
    for (let r = 0; r < 3; r++) {
      const x = inv[r * 4]! * p[0]! + inv[r * 4 + 1]! * p[1]! + inv[r * 4 + 2]! * p[2]! + inv[r * 4 + 3]!;
      // guard against 44.99999999 from an inexact inverse of a 2 mm affine
      const snapped = Math.abs(x - Math.round(x)) < 1e-9 ? Math.round(x) : x;
      out[n * 3 + r] = f(snapped);
    }
  });
  return out;
}

/** One experiment's MA map, sparse: in-mask voxels with MA > 0 (flat index ascending). */
export interface SparseMa {
  index: Int32Array;
  value: Float64Array;
}

/**
 * Write max-over-foci kernel values into `scratch` (full grid, all zero on entry) and
 * append every newly touched voxel to `touched` from position `count`; returns the new count.
 */
export function splatMax(dims: readonly number[], ijk: Int32Array, kernel: AleKernel, scratch: Float64Array, touched: Int32Array, count: number): number {
  const nx = dims[0]!;
  const ny = dims[1]!;
  const nz = dims[2]!;
  const nxy = nx * ny;
  const r = kernel.radius;
  const side = kernel.side;
  const K = kernel.values;
  for (let f = 0; f < ijk.length; f += 3) {
    const ci = ijk[f]!;
    const cj = ijk[f + 1]!;
    const ck = ijk[f + 2]!;
    const x0 = Math.max(0, ci - r);
    const x1 = Math.min(nx - 1, ci + r);
    const y0 = Math.max(0, cj - r);
    const y1 = Math.min(ny - 1, cj + r);
    const z0 = Math.max(0, ck - r);
    const z1 = Math.min(nz - 1, ck + r);
    if (x0 > x1 || y0 > y1 || z0 > z1) continue;
    for (let z = z0; z <= z1; z++) {
      const kz = (z - ck + r) * side * side;
      const vz = z * nxy;
      for (let y = y0; y <= y1; y++) {
        const kzy = kz + (y - cj + r) * side - ci + r;
        const vzy = vz + y * nx;
        for (let x = x0; x <= x1; x++) {
          const val = K[kzy + x]!;
          const v = vzy + x;
          const old = scratch[v]!;
          if (val > old) {
            if (old === 0) touched[count++] = v;
            scratch[v] = val;
          }
        }
      }
    }
  }
  return count;
}

/** Sparse MA map of one experiment (`scratch` zeroed again before returning). */
export function computeMa(grid: AleGrid, ijk: Int32Array, kernel: AleKernel, scratch?: Float64Array, touched?: Int32Array): SparseMa {
  const n = grid.mask.length;
  const s = scratch ?? new Float64Array(n);
  const t = touched ?? new Int32Array(n);
  const count = splatMax(grid.dims, ijk, kernel, s, t, 0);
  const list = t.subarray(0, count).sort();
  let m = 0;
  for (let c = 0; c < count; c++) if (grid.mask[list[c]!]) m++;
  const index = new Int32Array(m);
  const value = new Float64Array(m);
  for (let c = 0, o = 0; c < count; c++) {
    const v = list[c]!;
    if (grid.mask[v]) {
      index[o] = v;
      value[o++] = s[v]!;
    }
    s[v] = 0;
  }
  return { index, value };
}

/** MA maps of every experiment (each experiment's foci as i, j, k triples). */
export function computeMaMaps(grid: AleGrid, fociIjk: Int32Array[], kernels: AleKernel[]): SparseMa[] {
  const scratch = new Float64Array(grid.mask.length);
  const touched = new Int32Array(grid.mask.length);
  return fociIjk.map((ijk, e) => computeMa(grid, ijk, kernels[e]!, scratch, touched));
}

/** ALE over the full grid (0 outside the mask), experiments multiplied in order; optionally skip one experiment. */
export function computeAle(grid: AleGrid, ma: SparseMa[], skip = -1): Float64Array {
  const q = new Float64Array(grid.mask.length).fill(1);
  for (let e = 0; e < ma.length; e++) {
    if (e === skip) continue;
    const { index, value } = ma[e]!;
    for (let c = 0; c < index.length; c++) q[index[c]!]! *= 1 - value[c]!;
  }
  const ale = q;
  for (let v = 0; v < ale.length; v++) ale[v] = grid.mask[v] ? 1 - q[v]! : 0;
  return ale;
}
