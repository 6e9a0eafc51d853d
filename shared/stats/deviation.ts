/**
 * Per-patient deviation maps against a reference group (normative z maps, as in the
 * ENIGMA-style "z against controls" analyses; with covariates, the normative-regression
 * form of Marquand et al. 2016 without the Gaussian-process part):
 *
 *   fit in the reference subjects, at every voxel: y = X_ref β + ε, X_ref = [1, covariates];
 *   for a patient with covariates x₀:  ŷ = x₀ᵀβ,  z = (y − ŷ) / σ̂.
 *
 * σ̂ (option `scale`):
 * - 'residual' (default): σ̂ = √(RSS/(n_ref − p)), the reference group's residual SD. With
 *   no covariates (p = 1) this is the controls' sample SD (ddof 1) and ŷ their mean, i.e.
 *   z = (y − mean)/SD.
 * - 'prediction': σ̂·√(1 + x₀ᵀ(XᵀX)⁻¹x₀), the standard error of predicting a new subject
 *   (it also counts the uncertainty of β; larger for covariates far from the controls').
 *
 * z = 0 where the reference residual variance is zero (rss ≤ 1e-20·Σy², as `fitGlm`) and
 * outside `valid`. A reference group of fewer than 3 subjects → TooFewSubjects.
 *
 * `groupMeanMap` averages deviation maps; `compareDeviationGroups` is the pooled-variance
 * two-sample t of two patient groups' deviation maps (the GLM of `fitGlm` with two group
 * columns), df = n_A + n_B − 2.
 */
import { InvalidParameter } from '../errors.ts';
import { TooFewSubjects } from './cohort-errors.ts';
import { fitGlm, glmModel } from './glm.ts';
import { factorDesign } from './linalg.ts';

export type DeviationScale = 'residual' | 'prediction';

export interface DeviationModel {
  V: number;
  nRef: number;
  /** Columns of the reference design: 1 + number of covariates. */
  p: number;
  /** β per voxel, p arrays of V (β[0] is the intercept; with no covariates, the reference mean). */
  beta: Float64Array[];
  /** σ̂ per voxel (0 where the reference variance is zero or the voxel is invalid). */
  sigma: Float64Array;
  /** (XᵀX)⁻¹ of the reference design, p × p. */
  xtxInv: Float64Array;
  scale: DeviationScale;
}

export interface DeviationFitOptions {
  /** Reference covariates, nRef × k row-major (an intercept is added). */
  covariates?: Float64Array;
  k?: number;
  valid?: Uint8Array;
  scale?: DeviationScale;
  /** Field named in errors (default 'reference'). */
  input?: string;
}

const ZERO_VARIANCE_REL = 1e-20;

/** Fit the reference group: Y is nRef × V subject-major. */
export function deviationModel(Y: Float32Array, nRef: number, V: number, opts: DeviationFitOptions = {}): DeviationModel {
  const input = opts.input ?? 'reference';
  if (!Number.isInteger(nRef) || nRef < 3) {
    throw new TooFewSubjects(`deviation maps need a reference group of at least 3 subjects, got ${nRef}`, input);
  }
  if (Y.length !== nRef * V) throw new InvalidParameter(`reference data hold ${Y.length} values; expected ${nRef} × ${V}`, input);
  const k = opts.k ?? 0;
  const cov = opts.covariates;
  if ((cov?.length ?? 0) !== nRef * k) throw new InvalidParameter(`reference covariates hold ${cov?.length ?? 0} values; expected ${nRef} × ${k}`, input);
  const p = 1 + k;
  const X = new Float64Array(nRef * p);
  for (let i = 0; i < nRef; i++) {
    X[i * p] = 1;
    for (let j = 0; j < k; j++) X[i * p + 1 + j] = (cov as Float64Array)[i * k + j];
  }
  const f = factorDesign(X, nRef, p, input);
  const valid = opts.valid;
  if (valid && valid.length !== V) throw new InvalidParameter(`valid mask has ${valid.length} entries; expected ${V}`, input);
  const beta = Array.from({ length: p }, () => new Float64Array(V));
  const sigma = new Float64Array(V);
  const rss = new Float64Array(V);
  const ssy = new Float64Array(V);
  for (let i = 0; i < nRef; i++) {
    const yo = i * V;
    for (let j = 0; j < p; j++) {
      const w = f.pinv[j * nRef + i];
      const b = beta[j];
      for (let v = 0; v < V; v++) b[v] += w * Y[yo + v];
    }
  }
  for (let i = 0; i < nRef; i++) {
    const yo = i * V;
    for (let v = 0; v < V; v++) {
      let e = Y[yo + v];
      for (let j = 0; j < p; j++) e -= X[i * p + j] * beta[j][v];
      rss[v] += e * e;
      ssy[v] += Y[yo + v] * Y[yo + v];
    }
  }
  for (let v = 0; v < V; v++) {
    const ok = (!valid || valid[v] !== 0) && rss[v] > ZERO_VARIANCE_REL * ssy[v];
    sigma[v] = ok ? Math.sqrt(rss[v] / f.dof) : 0;
  }
  return { V, nRef, p, beta, sigma, xtxInv: f.xtxInv, scale: opts.scale ?? 'residual' };
}

/**
 * Deviation z maps of patients: Y is nPat × V subject-major, covariates nPat × k (same
 * columns as the reference's). Returns nPat × V subject-major float32.
 */
export function deviationZ(model: DeviationModel, Y: Float32Array, nPat: number, covariates?: Float64Array, input = 'patients'): Float32Array {
  const { V, p, beta, sigma, xtxInv } = model;
  const k = p - 1;
  if (Y.length !== nPat * V) throw new InvalidParameter(`patient data hold ${Y.length} values; expected ${nPat} × ${V}`, input);
  if ((covariates?.length ?? 0) !== nPat * k) {
    throw new InvalidParameter(`patient covariates hold ${covariates?.length ?? 0} values; expected ${nPat} × ${k}`, input);
  }
  const out = new Float32Array(nPat * V);
  const x0 = new Float64Array(p);
  for (let s = 0; s < nPat; s++) {
    x0[0] = 1;
    for (let j = 0; j < k; j++) x0[1 + j] = (covariates as Float64Array)[s * k + j];
    let factor = 1;
    if (model.scale === 'prediction') {
      let q = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) q += x0[a] * xtxInv[a * p + b] * x0[b];
      factor = Math.sqrt(1 + q);
    }
    const yo = s * V;
    for (let v = 0; v < V; v++) {
      const sd = sigma[v];
      if (sd === 0) continue;
      let yhat = 0;
      for (let j = 0; j < p; j++) yhat += x0[j] * beta[j][v];
      out[yo + v] = (Y[yo + v] - yhat) / (sd * factor);
    }
  }
  return out;
}

/** One-line form: fit the reference and return the patients' z maps (nPat × V). */
export function deviationMaps(args: {
  reference: Float32Array;
  nRef: number;
  patients: Float32Array;
  nPat: number;
  V: number;
  referenceCovariates?: Float64Array;
  patientCovariates?: Float64Array;
  k?: number;
  valid?: Uint8Array;
  scale?: DeviationScale;
}): Float32Array {
  const m = deviationModel(args.reference, args.nRef, args.V, {
    covariates: args.referenceCovariates,
    k: args.k,
    valid: args.valid,
    scale: args.scale,
  });
  return deviationZ(m, args.patients, args.nPat, args.patientCovariates);
}

/** Voxelwise mean of n maps (n × V subject-major). */
export function groupMeanMap(Z: Float32Array, n: number, V: number): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new InvalidParameter(`a group mean needs at least 1 map, got ${n}`);
  if (Z.length !== n * V) throw new InvalidParameter(`maps hold ${Z.length} values; expected ${n} × ${V}`);
  const acc = new Float64Array(V);
  for (let s = 0; s < n; s++) for (let v = 0; v < V; v++) acc[v] += Z[s * V + v];
  const out = new Float32Array(V);
  for (let v = 0; v < V; v++) out[v] = acc[v] / n;
  return out;
}

/**
 * Pooled-variance two-sample t of group A's against group B's deviation maps (A − B),
 * df = nA + nB − 2. Each group needs ≥ 2 maps (TooFewSubjects otherwise).
 */
export function compareDeviationGroups(
  zA: Float32Array,
  nA: number,
  zB: Float32Array,
  nB: number,
  V: number,
  valid?: Uint8Array,
): { t: Float32Array; df: number } {
  if (nA < 2 || nB < 2) throw new TooFewSubjects(`comparing deviation maps needs at least 2 patients per group, got ${nA} and ${nB}`, 'groups');
  if (zA.length !== nA * V || zB.length !== nB * V) throw new InvalidParameter('deviation maps do not match the group sizes and voxel count');
  const n = nA + nB;
  const X = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) X[i * 2 + (i < nA ? 0 : 1)] = 1;
  const Y = new Float32Array(n * V);
  Y.set(zA, 0);
  Y.set(zB, nA * V);
  const model = glmModel(X, n, 2, [Float64Array.from([1, -1])], 'groups');
  const t = new Float32Array(V);
  fitGlm(model, Y, V, valid, [t]);
  return { t, df: model.factor.dof };
}
