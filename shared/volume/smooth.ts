/**
 * Gaussian smoothing as SPM12 `spm_smooth` / `spm_conv_vol` do it (used by DPABI for VBM and
 * ReHo maps). See ALGORITHMS.md §A.
 *
 * - Kernel per axis (spm_smoothkern, t = 1): a Gaussian of σ = FWHM/√(8 ln 2) voxels convolved
 *   with a unit triangle (first-degree B-spline), sampled at integer offsets −r…r with
 *   r = round(6σ), negatives set to 0, normalised to sum 1.
 * - Separable; NaN/Inf voxels count as 0. x and y: zero padding, no renormalisation at the
 *   edges. z: zero padding, and each output plane is divided by the sum of the z weights
 *   whose planes lie inside the volume (spm_conv_vol's `sum2`).
 * - Arithmetic in double precision, output rounded to float32 (SPM writes float32 images).
 *
 * Reference: J. Ashburner, spm_smooth.m / spm_smoothkern.m / spm_conv_vol.c (SPM12).
 */
import { InvalidParameter } from '../errors.ts';
import { erf } from '../stats/distributions.ts';

const FWHM_TO_SIGMA = 1 / Math.sqrt(8 * Math.LN2);
const EPS = 2.220446049250313e-16; // MATLAB eps, added to the variance as spm_smoothkern does

/**
 * SPM's 1-D smoothing kernel for a FWHM given in voxels: values at offsets −r…r
 * (index i ↔ offset i − r), r = round(6σ), normalised to sum 1. fwhmVox = 0 gives [1].
 */
export function spmKernel1d(fwhmVox: number): Float64Array {
  if (!Number.isFinite(fwhmVox) || fwhmVox < 0) {
    throw new InvalidParameter(`smoothing FWHM must be a finite number >= 0 (voxels), got ${fwhmVox}`, 'fwhm');
  }
  if (fwhmVox === 0) return Float64Array.of(1);
  const sigma = fwhmVox * FWHM_TO_SIGMA;
  const r = Math.round(6 * sigma);
  const v = sigma * sigma + EPS;
  const a = 0.5 * Math.sqrt(2 / v);
  const b = Math.sqrt(v / (2 * Math.PI));
  const c = -0.5 / v;
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = 0; i <= 2 * r; i++) {
    const x = i - r;
    let val =
      0.5 * (erf(a * (x + 1)) * (x + 1) + erf(a * (x - 1)) * (x - 1) - 2 * erf(a * x) * x) +
      b * (Math.exp(c * (x + 1) * (x + 1)) + Math.exp(c * (x - 1) * (x - 1)) - 2 * Math.exp(c * x * x));
    if (val < 0) val = 0;
    k[i] = val;
    sum += val;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * 1-D zero-padded convolution along a strided line: dst[j] = Σ_i src[j + r − i]·k[i] over the
 * taps that land inside [0, n). src and dst are distinct scratch lines of length ≥ n.
 */
function convolveLine(src: Float64Array, dst: Float64Array, n: number, k: Float64Array): void {
  const r = (k.length - 1) >> 1;
  for (let j = 0; j < n; j++) {
    // source index s = j + r − i must satisfy 0 ≤ s < n
    const iStart = j + r - (n - 1) > 0 ? j + r - (n - 1) : 0;
    const iEnd = j + r < k.length - 1 ? j + r : k.length - 1;
    let acc = 0;
    for (let i = iStart; i <= iEnd; i++) acc += src[j + r - i] * k[i];
    dst[j] = acc;
  }
}

/**
 * SPM12-style Gaussian smoothing of one 3-D volume (NIfTI order, index = x + nx·(y + ny·z)).
 * fwhmMm is one value or one per axis, in mm; voxMm the voxel sizes. Never modifies `data`;
 * writes into `out` when given (it may even be `data` itself: all input is read first).
 */
export function smoothSpm(
  data: Float32Array,
  dims: readonly [number, number, number],
  voxMm: readonly [number, number, number],
  fwhmMm: number | readonly [number, number, number],
  out?: Float32Array,
): Float32Array {
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  if (![nx, ny, nz].every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidParameter(`volume dimensions must be positive integers, got ${dims.join('x')}`, 'dims');
  }
  if (data.length !== nVox) {
    throw new InvalidParameter(`volume has ${data.length} values, expected ${nVox} for ${nx}x${ny}x${nz}`, 'data');
  }
  if (!voxMm.every((v) => Number.isFinite(v) && v > 0)) {
    throw new InvalidParameter(`voxel sizes must be positive, got ${voxMm.join(',')}`, 'voxMm');
  }
  const f: readonly number[] = typeof fwhmMm === 'number' ? [fwhmMm, fwhmMm, fwhmMm] : fwhmMm;
  const kx = spmKernel1d(f[0] / voxMm[0]);
  const ky = spmKernel1d(f[1] / voxMm[1]);
  const kz = spmKernel1d(f[2] / voxMm[2]);
  const result = out ?? new Float32Array(nVox);
  if (result.length !== nVox) {
    throw new InvalidParameter(`output buffer has ${result.length} values, expected ${nVox}`, 'out');
  }

  const nxy = nx * ny;
  const xy = new Float64Array(nVox); // x- and y-smoothed planes
  const lineLen = Math.max(nx, ny);
  const a = new Float64Array(lineLen);
  const b = new Float64Array(lineLen);

  // pass 1: x then y within each plane (as spm_conv_vol's convxy), NaN/Inf → 0
  for (let z = 0; z < nz; z++) {
    const base = z * nxy;
    for (let y = 0; y < ny; y++) {
      const row = base + y * nx;
      for (let x = 0; x < nx; x++) {
        const v = data[row + x];
        a[x] = Number.isFinite(v) ? v : 0;
      }
      convolveLine(a, b, nx, kx);
      for (let x = 0; x < nx; x++) xy[row + x] = b[x];
    }
    if (ky.length > 1) {
      for (let x = 0; x < nx; x++) {
        for (let y = 0; y < ny; y++) a[y] = xy[base + y * nx + x];
        convolveLine(a, b, ny, ky);
        for (let y = 0; y < ny; y++) xy[base + y * nx + x] = b[y];
      }
    }
  }

  // pass 2: z, each output plane divided by the sum of the in-volume z weights
  const rz = (kz.length - 1) >> 1;
  const acc = new Float64Array(nxy);
  for (let zo = 0; zo < nz; zo++) {
    // input plane zi = zo + rz − i must lie in [0, nz)
    const iStart = zo + rz - (nz - 1) > 0 ? zo + rz - (nz - 1) : 0;
    const iEnd = zo + rz < kz.length - 1 ? zo + rz : kz.length - 1;
    let wsum = 0;
    for (let i = iStart; i <= iEnd; i++) wsum += kz[i];
    const ob = zo * nxy;
    if (wsum === 0) {
      result.fill(0, ob, ob + nxy);
      continue;
    }
    // accumulate plane by plane in a double scratch plane (sequential memory access)
    acc.fill(0);
    for (let i = iStart; i <= iEnd; i++) {
      const ib = (zo + rz - i) * nxy;
      const w = kz[i];
      for (let j = 0; j < nxy; j++) acc[j] += xy[ib + j] * w;
    }
    for (let j = 0; j < nxy; j++) result[ob + j] = acc[j] / wsum;
  }
  return result;
}
