/**
 * Freedman–Lane permutation of an F-contrast (Freedman & Lane 1983; Winkler et al. 2014),
 * with the Beckmann et al. (2001) partition generalised to a contrast C of rank r, as PALM
 * does for F:
 *
 *   D = (XᵀX)⁻¹, Cu = null(C) (p × (p − r)), Cv = Cu − Cᵀ(C D Cᵀ)⁻¹ C D Cu,
 *   Z = X D Cv (nuisance, n × (p − r)),  E = R_Z Y,  Y*_π = H_Z Y + P_π E.
 *
 * C D Cv = 0, so H_Z Y adds nothing to Cb nor to the residuals of the full model: the F of
 * Y*_π equals the F of P_π E, which is what `permutedF` computes with the ordinary model
 * (`fitF`). The identity permutation gives the observed F.
 *
 * This module sits beside the t permutation engine (shared/permutation) rather than in it;
 * to run F there the engine would need, per contrast: the rank r and the whitened contrast
 * W = L⁻¹C (so the statistic is ‖W b‖²/(r σ̂²) instead of cᵀb/√(σ̂²cᵀDc)), this nuisance
 * partition for the residuals E, sign flipping disabled unless the F is of a one-sample
 * design, one-sided exceedance (F ≥ F_obs, no two-tailed option), and F → z through
 * `fToZ(F, r, n − p)` before max-statistic, cluster and TFCE.
 */
import { InvalidParameter } from '../errors.ts';
import { fitF, type FContrastModel } from './fcontrast.ts';

export interface FreedmanLaneF {
  model: FContrastModel;
  V: number;
  /** Nuisance residuals E = R_Z Y, n × V subject-major. */
  E: Float64Array;
  /** Orthonormal basis of the nuisance space Z, n × q row-major (q = p − r). */
  Qz: Float64Array;
  q: number;
}

/** Orthonormal basis (Gram–Schmidt, twice) of the columns of A (rows × cols), dropping dependent columns. */
function orthonormalColumns(A: Float64Array, rows: number, cols: number): { Q: Float64Array[]; kept: number[] } {
  const Q: Float64Array[] = [];
  const kept: number[] = [];
  for (let j = 0; j < cols; j++) {
    const v = new Float64Array(rows);
    let n0 = 0;
    for (let i = 0; i < rows; i++) {
      v[i] = A[i * cols + j];
      n0 += v[i] * v[i];
    }
    if (n0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of Q) {
        let d = 0;
        for (let i = 0; i < rows; i++) d += q[i] * v[i];
        for (let i = 0; i < rows; i++) v[i] -= d * q[i];
      }
    }
    let nn = 0;
    for (let i = 0; i < rows; i++) nn += v[i] * v[i];
    if (Math.sqrt(nn) <= 1e-10 * Math.sqrt(n0)) continue;
    const s = 1 / Math.sqrt(nn);
    for (let i = 0; i < rows; i++) v[i] *= s;
    Q.push(v);
    kept.push(j);
  }
  return { Q, kept };
}

/**
 * The nuisance space of the Beckmann partition for model.W's contrast, as an n × q matrix
 * Z = X D Cv (exported for tests). Uses W (whose rows span the same space as C).
 */
export function nuisanceDesign(model: FContrastModel): { Z: Float64Array; q: number } {
  const { n, p, X, W, rank: r } = model;
  const D = model.factor.xtxInv;
  const q = p - r;
  if (q === 0) return { Z: new Float64Array(0), q: 0 };
  // null(C): Gram–Schmidt of [Wᵀ | I_p], keep the directions after the first r
  const A = new Float64Array(p * (r + p));
  for (let j = 0; j < p; j++) {
    for (let a = 0; a < r; a++) A[j * (r + p) + a] = W[a * p + j];
    A[j * (r + p) + r + j] = 1;
  }
  const { Q, kept } = orthonormalColumns(A, p, r + p);
  const Cu = Q.filter((_, k) => kept[k] >= r); // p-vectors
  if (Cu.length !== q) throw new InvalidParameter(`internal: null space of the contrast has ${Cu.length} directions, expected ${q}`);
  // W D Wᵀ = I (W is whitened), so Cv = Cu − Wᵀ W D Cu
  const Z = new Float64Array(n * q);
  const dcv = new Float64Array(p);
  for (let m = 0; m < q; m++) {
    const u = Cu[m];
    const Du = new Float64Array(p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) Du[a] += D[a * p + b] * u[b];
    const cv = Float64Array.from(u);
    for (let a = 0; a < r; a++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += W[a * p + j] * Du[j];
      for (let j = 0; j < p; j++) cv[j] -= W[a * p + j] * s;
    }
    dcv.fill(0);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) dcv[a] += D[a * p + b] * cv[b];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += X[i * p + j] * dcv[j];
      Z[i * q + m] = s;
    }
  }
  return { Z, q };
}

/** Set up Freedman–Lane for the model's F-contrast and data Y (n × V subject-major). */
export function freedmanLaneF(model: FContrastModel, Y: Float32Array | Float64Array, V: number): FreedmanLaneF {
  const { n } = model;
  if (Y.length !== n * V) throw new InvalidParameter(`data hold ${Y.length} values; expected ${n} × ${V}`);
  const { Z, q } = nuisanceDesign(model);
  const { Q } = orthonormalColumns(Z, n, q);
  const qz = Q.length;
  const Qz = new Float64Array(n * qz);
  Q.forEach((col, m) => {
    for (let i = 0; i < n; i++) Qz[i * qz + m] = col[i];
  });
  const E = Float64Array.from(Y);
  const proj = new Float64Array(V);
  for (let m = 0; m < qz; m++) {
    proj.fill(0);
    for (let i = 0; i < n; i++) {
      const w = Qz[i * qz + m];
      if (w === 0) continue;
      for (let v = 0; v < V; v++) proj[v] += w * Y[i * V + v];
    }
    for (let i = 0; i < n; i++) {
      const w = Qz[i * qz + m];
      if (w === 0) continue;
      for (let v = 0; v < V; v++) E[i * V + v] -= w * proj[v];
    }
  }
  return { model, V, E, Qz, q: qz };
}

/**
 * F map of Y*_π = H_Z Y + P_π E under the full model, i.e. of P_π E: row i of the permuted
 * data is sign[i]·E[perm[i]] (rounded to float32, as subject maps are). `scratch` (n × V
 * float32) may be passed to avoid allocation.
 */
export function permutedF(
  fl: FreedmanLaneF,
  perm: Int32Array,
  sign: Float64Array | undefined,
  valid: Uint8Array | undefined,
  fOut: Float32Array,
  scratch?: Float32Array,
): void {
  const { model, V, E } = fl;
  const n = model.n;
  if (perm.length !== n) throw new InvalidParameter(`permutation has ${perm.length} entries; the model has ${n} subjects`);
  const Ys = scratch ?? new Float32Array(n * V);
  if (Ys.length !== n * V) throw new InvalidParameter(`scratch has ${Ys.length} values; expected ${n * V}`);
  for (let i = 0; i < n; i++) {
    const src = perm[i] * V;
    const s = sign ? sign[i] : 1;
    for (let v = 0; v < V; v++) Ys[i * V + v] = s * E[src + v];
  }
  fitF(model, Ys, V, valid, fOut);
}
