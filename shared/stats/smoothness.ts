/**
 * Smoothness estimation from standardised GLM residuals (or a z map), as DPABI's
 * `y_Smoothest` and FSL's `smoothest` do it. See ALGORITHMS.md §C.
 *
 * For each axis d the lag-1 autocorrelation of the standardised residual field is estimated
 * from SS_d = Σ_v Σ_i r_i(v)·r_i(v−d) and S2_d = Σ_v Σ_i ½(r_i(v)² + r_i(v−d)²) over the voxels v
 * whose −x, −y and −z neighbours are all in the mask; for a Gaussian autocorrelation
 * ρ_d = exp(−1/(4σ_d²)), so σ_d² = −1/(4 ln|SS_d/S2_d|), FWHM_d = √(8 ln 2·σ_d²) voxels and
 * dLh = √det(Λ) = (σ_x²σ_y²σ_z²)^(−½)·8^(−½) voxel⁻³, multiplied for residual input by the
 * square root of a tabulated degrees-of-freedom correction.
 *
 * References: D. E. Flitney & M. Jenkinson (2000), Cluster analysis revisited, FMRIB TR00DF1;
 * K. J. Worsley et al. (1992), J. Cereb. Blood Flow Metab. 12, 900–918;
 * DPABI y_Smoothest.m (Yan Chao-Gan); FSL smoothest.cc (Flitney & Jenkinson).
 *
 * The sums are built per z plane so that a z slab (with a one-plane halo below it) can be
 * processed by one worker and the planes combined in order: the result is then bit-identical
 * whatever the slab split. Accumulation is in double precision (DPABI accumulates in single,
 * so its sums differ in about the 5th–6th digit).
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { SMOOTHEST_DOF_LUT, SMOOTHEST_LARGE_DOF_COEF, SMOOTHEST_SMALL_DOF_FACTOR } from './smoothest-dof-lut.ts';

export interface SmoothnessSums {
  ss: [number, number, number];
  s2: [number, number, number];
  nVoxels: number;
}

export interface Smoothness {
  /** σ² of the Gaussian autocorrelation per axis, voxels². */
  sigma2: [number, number, number];
  fwhmVox: [number, number, number];
  fwhmMm: [number, number, number];
  /** √det(Λ) in voxel⁻³, DOF-corrected for residual input. */
  dLh: number;
  /** Volume of one resel in voxels: FWHMx·FWHMy·FWHMz (voxels). */
  resels: number;
  /** Factor applied to dLh (1 for a z map, i.e. dof = null). */
  dofCorrection: number;
}

export type SmoothestVariant = 'dpabi' | 'fsl';

/** Number of values per plane returned by smoothnessPlaneSums. */
export const PLANE_SUM_STRIDE = 7;

/**
 * Per-plane sums for a slab. `resid` holds standardised residuals, subject-major: subject s
 * occupies resid[s·planeLen·nzLocal …) laid out as [z local][y][x] (NIfTI order). `mask` is
 * nx·ny·nzLocal (non-zero = in the analysis mask). Local plane 0 is a halo (the plane below
 * the slab) when hasHalo is true; pass hasHalo = false when the slab starts at z = 0.
 * Returns, for each non-halo local plane in order, [ssx, ssy, ssz, s2x, s2y, s2z, nVoxels]
 * (length 7·nPlanesOut). A voxel v counts when v and its −x, −y, −z neighbours are all in the
 * mask (so the volume's x = 0, y = 0 and z = 0 planes never count).
 */
export function smoothnessPlaneSums(
  resid: Float32Array,
  mask: Uint8Array,
  nx: number,
  ny: number,
  nzLocal: number,
  nSubj: number,
  hasHalo: boolean,
): Float64Array {
  const planeLen = nx * ny;
  const slabLen = planeLen * nzLocal;
  if (!(nx > 0 && ny > 0 && nzLocal > 0 && nSubj > 0)) {
    throw new InvalidParameter(`bad slab shape ${nx}x${ny}x${nzLocal} with ${nSubj} subjects`, 'resid');
  }
  if (mask.length !== slabLen) {
    throw new InvalidParameter(`mask has ${mask.length} voxels, expected ${slabLen} (${nx}x${ny}x${nzLocal})`, 'mask');
  }
  if (resid.length !== slabLen * nSubj) {
    throw new InvalidParameter(`residuals have ${resid.length} values, expected ${slabLen * nSubj} (${nSubj} subjects)`, 'resid');
  }
  const z0 = hasHalo ? 1 : 0;
  const nOut = nzLocal - z0;
  const out = new Float64Array(PLANE_SUM_STRIDE * nOut);
  const idx = new Int32Array(planeLen);
  for (let zl = Math.max(z0, 1); zl < nzLocal; zl++) {
    // voxels of this plane that count
    let n = 0;
    for (let y = 1; y < ny; y++) {
      for (let x = 1; x < nx; x++) {
        const v = zl * planeLen + y * nx + x;
        if (mask[v] !== 0 && mask[v - 1] !== 0 && mask[v - nx] !== 0 && mask[v - planeLen] !== 0) idx[n++] = v;
      }
    }
    let ssx = 0;
    let ssy = 0;
    let ssz = 0;
    let s2x = 0;
    let s2y = 0;
    let s2z = 0;
    for (let s = 0; s < nSubj; s++) {
      const base = s * slabLen;
      for (let j = 0; j < n; j++) {
        const v = base + idx[j];
        const r = resid[v];
        const rx = resid[v - 1];
        const ry = resid[v - nx];
        const rz = resid[v - planeLen];
        const r2 = r * r;
        ssx += r * rx;
        ssy += r * ry;
        ssz += r * rz;
        s2x += 0.5 * (r2 + rx * rx);
        s2y += 0.5 * (r2 + ry * ry);
        s2z += 0.5 * (r2 + rz * rz);
      }
    }
    const o = PLANE_SUM_STRIDE * (zl - z0);
    out[o] = ssx;
    out[o + 1] = ssy;
    out[o + 2] = ssz;
    out[o + 3] = s2x;
    out[o + 4] = s2y;
    out[o + 5] = s2z;
    out[o + 6] = n;
  }
  return out;
}

/** Adds per-plane sums (each array as returned by smoothnessPlaneSums) in the given order. */
export function combinePlaneSums(planes: Float64Array[]): SmoothnessSums {
  const ss: [number, number, number] = [0, 0, 0];
  const s2: [number, number, number] = [0, 0, 0];
  let nVoxels = 0;
  for (const p of planes) {
    if (p.length % PLANE_SUM_STRIDE !== 0) {
      throw new InvalidParameter(`plane sums must come in groups of ${PLANE_SUM_STRIDE}, got length ${p.length}`, 'planes');
    }
    for (let o = 0; o < p.length; o += PLANE_SUM_STRIDE) {
      ss[0] += p[o];
      ss[1] += p[o + 1];
      ss[2] += p[o + 2];
      s2[0] += p[o + 3];
      s2[1] += p[o + 4];
      s2[2] += p[o + 5];
      nVoxels += p[o + 6];
    }
  }
  return { ss, s2, nVoxels };
}

/**
 * In place, per voxel across subjects (layout resid[s·nVox + v]): subtract the mean and divide
 * by the sd (ddof 1), in double precision. A voxel whose sd is 0 or not finite (constant,
 * containing NaN, or nSubj < 2) becomes 0 for every subject (DPABI: NaN → 0).
 */
export function standardiseResiduals(resid: Float32Array, nSubj: number, nVox: number): void {
  if (resid.length !== nSubj * nVox) {
    throw new InvalidParameter(`residuals have ${resid.length} values, expected ${nSubj}x${nVox}`, 'resid');
  }
  const mean = new Float64Array(nVox);
  const ssd = new Float64Array(nVox);
  for (let s = 0; s < nSubj; s++) {
    const b = s * nVox;
    for (let v = 0; v < nVox; v++) mean[v] += resid[b + v];
  }
  for (let v = 0; v < nVox; v++) mean[v] /= nSubj;
  for (let s = 0; s < nSubj; s++) {
    const b = s * nVox;
    for (let v = 0; v < nVox; v++) {
      const d = resid[b + v] - mean[v];
      ssd[v] += d * d;
    }
  }
  // ssd now becomes 1/sd, or 0 where the voxel is to be zeroed
  for (let v = 0; v < nVox; v++) {
    const sd = Math.sqrt(ssd[v] / (nSubj - 1));
    ssd[v] = sd > 0 && Number.isFinite(sd) ? 1 / sd : 0;
  }
  for (let s = 0; s < nSubj; s++) {
    const b = s * nVox;
    for (let v = 0; v < nVox; v++) {
      const inv = ssd[v];
      resid[b + v] = inv === 0 ? 0 : (resid[b + v] - mean[v]) * inv;
    }
  }
}

/** The table interpolated linearly onto integer DOF 1…501 (NaN below the first row), as
 * DPABI's interp1(x, y, 1:501) does; index i holds L(i). */
let lutInterpolated: Float64Array | null = null;
function dpabiLut(): Float64Array {
  if (lutInterpolated) return lutInterpolated;
  const last = SMOOTHEST_DOF_LUT[SMOOTHEST_DOF_LUT.length - 1][0];
  const li = new Float64Array(last + 1).fill(NaN);
  for (let r = 0; r + 1 < SMOOTHEST_DOF_LUT.length; r++) {
    const [x0, y0] = SMOOTHEST_DOF_LUT[r];
    const [x1, y1] = SMOOTHEST_DOF_LUT[r + 1];
    for (let i = x0; i < x1; i++) li[i] = y0 + ((y1 - y0) * (i - x0)) / (x1 - x0);
  }
  li[last] = SMOOTHEST_DOF_LUT[SMOOTHEST_DOF_LUT.length - 1][1];
  lutInterpolated = li;
  return li;
}

const f32 = Math.fround;

/**
 * The factor dLh is multiplied by for residual input with `dof` degrees of freedom.
 *
 * - 'dpabi' (default): DOF < 6 → 1.1; DOF > 500 → √(1 + 1.0321/DOF); otherwise with
 *   f = ⌊DOF⌋ and L(i) the table interpolated onto integers (rows labelled as in the fixture
 *   CSV, 6…501): √[(L(f+1) − L(f))·(DOF − f + 1) + L(f+1)], i.e. the table read about two
 *   rows further than L(DOF) (DPABI y_Smoothest.m).
 * - 'fsl': FSL smoothest.cc's own `Interpolate`, in single precision as FSL computes it:
 *   table keys are one lower (5…500); v < 6 → 1.1; with k the first key ≥ ⌊v⌋ and i the key
 *   before it, √[(L_k − L_i)/(k − i)·(v − i) + L_k]; ⌊v⌋ > 500 → √(1 + 1.0321/v).
 *   For 6 ≤ DOF < 21 both variants give the same value (up to single-precision rounding);
 *   they differ from DOF 21 on (e.g. DOF 21: L = 1.0572976 vs 1.0453079).
 */
export function smoothestDofCorrection(dof: number, variant: SmoothestVariant = 'dpabi'): number {
  if (Number.isNaN(dof)) return NaN;
  if (variant === 'fsl') {
    const v = f32(dof);
    if (v < 6) return f32(SMOOTHEST_SMALL_DOF_FACTOR);
    const k = Math.trunc(v);
    let j = -1;
    for (let r = 0; r < SMOOTHEST_DOF_LUT.length; r++) {
      if (SMOOTHEST_DOF_LUT[r][0] - 1 >= k) {
        j = r;
        break;
      }
    }
    let retval: number;
    if (j < 0) {
      retval = f32(SMOOTHEST_LARGE_DOF_COEF / v + 1);
    } else {
      // j > 0 always here, since k ≥ 6 > the first key (5)
      const kj = SMOOTHEST_DOF_LUT[j][0] - 1;
      const ki = SMOOTHEST_DOF_LUT[j - 1][0] - 1;
      const lj = f32(SMOOTHEST_DOF_LUT[j][1]);
      const li = f32(SMOOTHEST_DOF_LUT[j - 1][1]);
      const slope = f32(f32(lj - li) / (kj - ki));
      retval = f32(f32(slope * f32(v - ki)) + lj);
    }
    return f32(Math.sqrt(retval));
  }
  if (dof < 6) return SMOOTHEST_SMALL_DOF_FACTOR;
  if (dof > 500) return Math.sqrt(1 + SMOOTHEST_LARGE_DOF_COEF / dof);
  const L = dpabiLut();
  const f = Math.floor(dof);
  const retval = (L[f + 1] - L[f]) * (dof - f + 1) + L[f + 1];
  return Math.sqrt(retval);
}

/**
 * σ², FWHM, dLh and resels from combined sums. `dof` null means a 3-D z map (no DOF
 * correction); otherwise the residuals' degrees of freedom. Variant 'dpabi' (default) clamps
 * SS_d to 0.99999999·S2_d when it exceeds it and uses DPABI's table reading; 'fsl' clamps to
 * 0.99999·S2_d when SS_d ≥ 0.99999999·S2_d and uses FSL's interpolation (see
 * smoothestDofCorrection).
 */
export function estimateSmoothness(
  sums: SmoothnessSums,
  voxMm: readonly [number, number, number],
  dof: number | null,
  variant: SmoothestVariant = 'dpabi',
): Smoothness {
  if (!(sums.nVoxels > 0)) {
    throw new EmptyData('no voxel with all of its -x, -y and -z neighbours inside the mask: cannot estimate smoothness', 'mask');
  }
  const sigma2: [number, number, number] = [0, 0, 0];
  const fwhmVox: [number, number, number] = [0, 0, 0];
  const fwhmMm: [number, number, number] = [0, 0, 0];
  const k8ln2 = 8 * Math.LN2;
  for (let d = 0; d < 3; d++) {
    const s2 = sums.s2[d];
    let ss = sums.ss[d];
    if (variant === 'fsl') {
      if (ss >= 0.99999999 * s2) ss = 0.99999 * s2;
    } else if (ss > 0.99999999 * s2) {
      ss = 0.99999999 * s2;
    }
    sigma2[d] = -1 / (4 * Math.log(Math.abs(ss / s2)));
    fwhmVox[d] = Math.sqrt(k8ln2 * sigma2[d]);
    fwhmMm[d] = fwhmVox[d] * voxMm[d];
  }
  const correction = dof === null ? 1 : smoothestDofCorrection(dof, variant);
  const dLh = Math.pow(sigma2[0] * sigma2[1] * sigma2[2], -0.5) * Math.pow(8, -0.5) * correction;
  return { sigma2, fwhmVox, fwhmMm, dLh, resels: fwhmVox[0] * fwhmVox[1] * fwhmVox[2], dofCorrection: correction };
}

/**
 * Convenience for a whole volume: residuals (or a z map with nSubj = 1) in subject-major NIfTI
 * order, resid4d[s·nVox + v]. With dof !== null a standardised copy is made first (the input
 * is never modified); with dof = null the data are used as given (DPABI's 3-D z-map path).
 */
export function smoothnessFromVolume(
  resid4d: Float32Array,
  mask: Uint8Array,
  dims: readonly [number, number, number],
  nSubj: number,
  voxMm: readonly [number, number, number],
  dof: number | null,
  variant: SmoothestVariant = 'dpabi',
): Smoothness {
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  if (resid4d.length !== nVox * nSubj) {
    throw new InvalidParameter(`residuals have ${resid4d.length} values, expected ${nx}x${ny}x${nz}x${nSubj}`, 'resid');
  }
  let r = resid4d;
  if (dof !== null) {
    r = Float32Array.from(resid4d);
    standardiseResiduals(r, nSubj, nVox);
  }
  const planes = smoothnessPlaneSums(r, mask, nx, ny, nz, nSubj, false);
  return estimateSmoothness(combinePlaneSums([planes]), voxMm, dof, variant);
}
