/**
 * ALE kernels (Eickhoff 2009 sample-size model, as GingerALE and NiMARE).
 *
 * FWHM(N) = sqrt((11.6 / (2 sqrt(2/pi)) * sqrt(8 ln 2) / sqrt(N))^2 + (5.7 / (2 sqrt(2/pi)) * sqrt(8 ln 2))^2) mm.
 * sigma (voxels) = FWHM / voxel size / sqrt(8 ln 2). The 3-D kernel is the product of one
 * normalised 1-D Gaussian w[k] = exp(-k^2 / (2 sigma^2)) / sum, |k| <= int(4 sigma + 0.5)
 * (at most 15, the half-width of the reference's 31-voxel box), taken as (w[a] w[b]) w[c].
 */
import { InvalidParameter } from '../errors.ts';

const SQRT_8LN2 = Math.sqrt(8 * Math.log(2));
const SUBJECT_TERM = (11.6 / (2 * Math.sqrt(2 / Math.PI))) * SQRT_8LN2;
const TEMPLATE_TERM = (5.7 / (2 * Math.sqrt(2 / Math.PI))) * SQRT_8LN2;
/** half-width of the 31-voxel box the reference filters a point in */
export const MAX_KERNEL_RADIUS = 15;

export function aleFwhmMm(sampleSize: number): number {
  if (!(sampleSize > 0) || !Number.isFinite(sampleSize)) throw new InvalidParameter(`sample size must be a positive number, got ${sampleSize}`);
  const subj = SUBJECT_TERM / Math.sqrt(sampleSize);
  return Math.sqrt(subj * subj + TEMPLATE_TERM * TEMPLATE_TERM);
}

export interface AleKernel {
  sampleSize: number;
  fwhmMm: number;
  sigmaVoxels: number;
  radius: number;
  /** side = 2 radius + 1 */
  side: number;
  /** normalised 1-D weights, index k + radius */
  w: Float64Array;
  /** side^3 values, x fastest: value(a, b, c) = (w[a] w[b]) w[c] */
  values: Float64Array;
  /** value at the focus voxel */
  peak: number;
}

/** Kernel of one sample size on an isotropic grid of `voxelMm` mm voxels. */
export function aleKernel(sampleSize: number, voxelMm: number): AleKernel {
  if (!(voxelMm > 0)) throw new InvalidParameter(`voxel size must be positive, got ${voxelMm}`);
  const fwhmMm = aleFwhmMm(sampleSize);
  const sigma = fwhmMm / voxelMm / SQRT_8LN2;
  const radius = Math.min(MAX_KERNEL_RADIUS, Math.floor(4 * sigma + 0.5));
  const side = 2 * radius + 1;
  const w = new Float64Array(side);
  const c = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    w[k + radius] = Math.exp(c * k * k);
    sum += w[k + radius]!;
  }
  for (let i = 0; i < side; i++) w[i]! /= sum;
  const values = new Float64Array(side * side * side);
  let n = 0;
  for (let cz = 0; cz < side; cz++) {
    for (let b = 0; b < side; b++) {
      for (let a = 0; a < side; a++) values[n++] = w[a]! * w[b]! * w[cz]!;
    }
  }
  return { sampleSize, fwhmMm, sigmaVoxels: sigma, radius, side, w, values, peak: values[(side * side * side - 1) / 2]! };
}

/** One kernel per distinct sample size (they are reused across experiments and iterations). */
export function kernelsFor(sampleSizes: readonly number[], voxelMm: number): AleKernel[] {
  const cache = new Map<number, AleKernel>();
  return sampleSizes.map((n) => {
    let k = cache.get(n);
    if (!k) {
      k = aleKernel(n, voxelMm);
      cache.set(n, k);
    }
    return k;
  });
}
