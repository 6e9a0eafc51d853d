/**
 * Voxelwise F-contrasts of the OLS GLM (SPM's F, FSL randomise / PALM `-f`):
 *
 *   F = (Cb)ᵀ (C (XᵀX)⁻¹ Cᵀ)⁻¹ (Cb) / (r · σ̂²),   σ̂² = eᵀe/(n − rank X),
 *   df = (r, n − rank X),  r = rank C,
 *
 * which equals the extra-sum-of-squares F of the full model against the model restricted
 * by Cb = 0. The contrast rows may be dependent (e.g. all three pairwise differences of
 * three groups): an independent subset of rows spanning the same row space is kept, which
 * leaves F unchanged and gives r. A contrast of rank 0 (every row zero) or with non-finite
 * weights → NonEstimableContrast. The design must have full column rank (as for t,
 * SingularDesign otherwise), so every non-zero contrast is estimable.
 *
 * Computation: with A = C_r (XᵀX)⁻¹ C_rᵀ = L Lᵀ (Cholesky) and W = L⁻¹ C_r (r × p),
 * F = ‖W b‖² / (r σ̂²); b from the pseudo-inverse of `factorDesign`. F is one-sided; the z
 * map has the same upper tail (`fToZ`, log space). F = 0 where the residual variance is
 * zero (rss ≤ 1e-20·Σy², where `fitGlm` sets t = 0), outside `valid`, and where t is not finite.
 */
import { InvalidParameter } from '../errors.ts';
import { NonEstimableContrast } from './cohort-errors.ts';
import { fToZ } from './fdist.ts';
import { fitGlm, glmModel, type GlmModel } from './glm.ts';
import { factorDesign, type DesignFactor } from './linalg.ts';

export interface FContrastModel {
  n: number;
  p: number;
  /** Design, n × p row-major (a copy). */
  X: Float64Array;
  factor: DesignFactor;
  /** Rank of the contrast (numerator df). */
  rank: number;
  /** Residual df n − rank X (denominator df). */
  dof: number;
  /** Indices of the contrast rows kept as an independent basis. */
  rows: number[];
  /** Whitened contrast W = L⁻¹ C_r, r × p row-major: F = ‖W b‖²/(r σ̂²). */
  W: Float64Array;
  /** The GLM with the rows of W as t-contrasts (each of unit scale), used by `fitF`. */
  glm: GlmModel;
}

/** Relative tolerance for a contrast row to count as dependent on the rows before it. */
const ROW_TOL = 1e-10;

/** Indices of rows of C (each of length p) that form a basis of its row space (Gram–Schmidt, in order). */
export function independentRows(C: ArrayLike<number>[], p: number): number[] {
  const basis: Float64Array[] = [];
  const kept: number[] = [];
  C.forEach((row, i) => {
    const v = Float64Array.from(row);
    let n0 = 0;
    for (let j = 0; j < p; j++) n0 += v[j] * v[j];
    if (n0 === 0) return;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let j = 0; j < p; j++) d += q[j] * v[j];
        for (let j = 0; j < p; j++) v[j] -= d * q[j];
      }
    }
    let nn = 0;
    for (let j = 0; j < p; j++) nn += v[j] * v[j];
    if (Math.sqrt(nn) <= ROW_TOL * Math.sqrt(n0)) return;
    const s = 1 / Math.sqrt(nn);
    for (let j = 0; j < p; j++) v[j] *= s;
    basis.push(v);
    kept.push(i);
  });
  return kept;
}

/**
 * Build an F-contrast model: factor X (n × p) and whiten the contrast C (rows of length p).
 * `input` names the offending field in errors (e.g. `params.fContrasts.0`).
 */
export function fContrastModel(X: Float64Array, n: number, p: number, C: ArrayLike<number>[], input = ''): FContrastModel {
  const factor = factorDesign(X, n, p, input);
  if (C.length === 0) throw new NonEstimableContrast('an F-contrast needs at least one row', input);
  C.forEach((row, i) => {
    if (row.length !== p) throw new InvalidParameter(`F-contrast row ${i} has ${row.length} weights; the design has ${p} columns`, input);
    for (let j = 0; j < p; j++) {
      if (!Number.isFinite(row[j])) throw new NonEstimableContrast(`F-contrast row ${i} has a non-finite weight at column ${j}`, input);
    }
  });
  const rows = independentRows(C, p);
  const r = rows.length;
  if (r === 0) throw new NonEstimableContrast('the F-contrast has rank 0 (every row is zero); nothing is tested', input);
  const D = factor.xtxInv;
  // A = C_r D C_rᵀ
  const A = new Float64Array(r * r);
  const CD = new Float64Array(r * p);
  for (let a = 0; a < r; a++) {
    const ca = C[rows[a]];
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += ca[k] * D[k * p + j];
      CD[a * p + j] = s;
    }
  }
  for (let a = 0; a < r; a++) {
    for (let b = 0; b <= a; b++) {
      const cb = C[rows[b]];
      let s = 0;
      for (let j = 0; j < p; j++) s += CD[a * p + j] * cb[j];
      A[a * r + b] = s;
      A[b * r + a] = s;
    }
  }
  // Cholesky A = L Lᵀ
  const L = new Float64Array(r * r);
  let maxDiag = 0;
  for (let a = 0; a < r; a++) maxDiag = Math.max(maxDiag, A[a * r + a]);
  for (let a = 0; a < r; a++) {
    for (let b = 0; b <= a; b++) {
      let s = A[a * r + b];
      for (let k = 0; k < b; k++) s -= L[a * r + k] * L[b * r + k];
      if (a === b) {
        if (!(s > ROW_TOL * maxDiag)) {
          throw new NonEstimableContrast(`the F-contrast is not estimable: C(XᵀX)⁻¹Cᵀ is singular at row ${rows[a]}`, input);
        }
        L[a * r + a] = Math.sqrt(s);
      } else {
        L[a * r + b] = s / L[b * r + b];
      }
    }
  }
  // W = L⁻¹ C_r by forward substitution, column by column of C_r
  const W = new Float64Array(r * p);
  for (let j = 0; j < p; j++) {
    for (let a = 0; a < r; a++) {
      let s = C[rows[a]][j];
      for (let k = 0; k < a; k++) s -= L[a * r + k] * W[k * p + j];
      W[a * p + j] = s / L[a * r + a];
    }
  }
  const glm = glmModel(X, n, p, Array.from({ length: r }, (_, a) => W.slice(a * p, a * p + p)), input);
  return { n, p, X: Float64Array.from(X), factor, rank: r, dof: factor.dof, rows, W, glm };
}

/**
 * F (and optionally z) at every voxel of Y (n × V subject-major float32), for voxels with
 * valid[v] ≠ 0 (all when valid is undefined); 0 elsewhere. fOut / zOut are caller-owned
 * arrays of V values; `scratch` (r float32 arrays of V) may be passed to avoid allocation.
 *
 * The rows w_a of W are D-orthonormal (w_a D w_bᵀ = δ_ab), so each is a t-contrast of unit
 * scale and F = Σ_a t_a² / r: the r t maps come from the blocked GLM kernel (`fitGlm`, which
 * also decides zero variance, invalid voxels and non-finite results the same way as for t).
 */
export function fitF(
  model: FContrastModel,
  Y: Float32Array,
  V: number,
  valid: Uint8Array | undefined,
  fOut: Float32Array,
  zOut?: Float32Array,
  scratch?: Float32Array[],
): void {
  const { rank: r, dof } = model;
  if (!Number.isInteger(V) || V < 0) throw new InvalidParameter(`voxel count must be a non-negative integer, got ${V}`);
  if (fOut.length !== V) throw new InvalidParameter(`F output has ${fOut.length} voxels; expected ${V}`);
  if (zOut && zOut.length !== V) throw new InvalidParameter(`z output has ${zOut.length} voxels; expected ${V}`);
  const t = scratch ?? Array.from({ length: r }, () => new Float32Array(V));
  if (t.length !== r || t.some((a) => a.length !== V)) throw new InvalidParameter(`scratch must hold ${r} arrays of ${V} values`);
  fitGlm(model.glm, Y, V, valid, t);
  for (let v = 0; v < V; v++) {
    let q = 0;
    for (let a = 0; a < r; a++) q += t[a][v] * t[a][v];
    const f = q / r;
    fOut[v] = f;
    if (zOut) zOut[v] = f > 0 ? fToZ(f, r, dof) : 0;
  }
}

/** F of one voxel's data y (length n): the single-voxel form of `fitF` (no zero-variance cut). */
export function fStatistic(model: FContrastModel, y: ArrayLike<number>): number {
  const { n, p, X, W, rank: r, dof } = model;
  if (y.length !== n) throw new InvalidParameter(`y has ${y.length} values; the model has ${n} subjects`);
  const pinv = model.factor.pinv;
  const b = new Float64Array(p);
  for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) b[j] += pinv[j * n + i] * y[i];
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let e = y[i];
    for (let j = 0; j < p; j++) e -= X[i * p + j] * b[j];
    rss += e * e;
  }
  let q = 0;
  for (let a = 0; a < r; a++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += W[a * p + j] * b[j];
    q += s * s;
  }
  return q / (r * (rss / dof));
}
