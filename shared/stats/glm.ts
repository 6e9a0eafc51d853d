/**
 * Voxelwise ordinary-least-squares GLM with t contrasts
 * (DPABI `y_GroupAnalysis_Image` / `y_TTest2_Image`; SPM's `spm_spm` t statistic).
 *
 *   b = pinv(X)·y,  e = y − X·b,  σ̂² = eᵀe / (n − p),
 *   t_c = cᵀb / √(σ̂² · cᵀ(XᵀX)⁻¹c).
 *
 * The design must have full column rank (DOF = n − rank(X) = n − p); a
 * deficient design is refused with SingularDesign rather than silently using a
 * pseudo-inverse. Any coding of the groups that spans the same column space
 * gives the same t: DPABI's two-sample coding [label(+1/−1), 1, covariates]
 * with contrast [1, 0, …] and cell-means coding [g1, g2, covariates] with
 * [1, −1, 0, …] are interchangeable (the tests check this).
 */
import { InvalidParameter } from '../errors.ts';
import { factorDesign, type DesignFactor } from './linalg.ts';

export interface GlmModel {
  n: number;
  p: number;
  /** Design, n × p row-major (a copy of the caller's). */
  X: Float64Array;
  factor: DesignFactor;
  /** Contrast vectors, each of length p (copies). */
  contrasts: Float64Array[];
  /** √(cᵀ(XᵀX)⁻¹c) per contrast. */
  contrastScale: Float64Array;
}

/**
 * Build a model: factor X (see `factorDesign`) and check the contrasts.
 * Throws SingularDesign for a deficient design; InvalidParameter for a contrast
 * of the wrong length, with non-finite entries, or all zero (not estimable).
 */
export function glmModel(
  X: Float64Array,
  n: number,
  p: number,
  contrasts: Float64Array[],
  input = '',
): GlmModel {
  const factor = factorDesign(X, n, p, input);
  if (contrasts.length === 0) throw new InvalidParameter('at least one contrast is required', input);
  const cs: Float64Array[] = [];
  const scale = new Float64Array(contrasts.length);
  contrasts.forEach((c, ci) => {
    if (c.length !== p) {
      throw new InvalidParameter(`contrast ${ci} has ${c.length} weights; the design has ${p} columns`, input);
    }
    let any = false;
    for (let j = 0; j < p; j++) {
      if (!Number.isFinite(c[j])) {
        throw new InvalidParameter(`contrast ${ci} has a non-finite weight at column ${j}`, input);
      }
      if (c[j] !== 0) any = true;
    }
    if (!any) throw new InvalidParameter(`contrast ${ci} is all zero and not estimable`, input);
    let q = 0;
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) q += c[a] * factor.xtxInv[a * p + b] * c[b];
    }
    const s = Math.sqrt(q);
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new InvalidParameter(`contrast ${ci} is not estimable (cᵀ(XᵀX)⁻¹c = ${q})`, input);
    }
    cs.push(Float64Array.from(c));
    scale[ci] = s;
  });
  return { n, p, X: Float64Array.from(X), factor, contrasts: cs, contrastScale: scale };
}

/** Voxels per block: the p × BLOCK float64 β scratch (40 kB for p = 5) stays in cache. */
const BLOCK = 1024;

/**
 * A voxel whose residual sum of squares is below this fraction of Σy² is
 * treated as having zero variance (t = 0). Single-precision data cannot hold a
 * genuine relative residual variance below ~1e-15, while float64 round-off of a
 * perfect fit leaves ~1e-30, so the cut is unambiguous.
 */
const ZERO_VARIANCE_REL = 1e-20;

/**
 * Fit the GLM at every voxel.
 *
 * Y is n × V subject-major float32 (subject i's V values at Y[i·V … i·V+V)).
 * For each voxel v with valid[v] ≠ 0 (all voxels when valid is undefined):
 * β = pinv·y, residuals e, σ̂² = eᵀe/dof, t_c = cᵀβ / (σ̂·contrastScale_c).
 *
 * Outputs (caller-owned):
 * - tOut[c][v]: t for contrast c; 0 where invalid, where the voxel has zero
 *   residual variance (constant or all-zero data, rss ≤ 1e-20·Σy²), or where
 *   the result is not finite (e.g. NaN data — mark such voxels invalid).
 * - residOut (optional, n × V subject-major): raw residuals; 0 where invalid.
 * - betaOut (optional, p arrays of V): β; 0 where invalid.
 *
 * Arithmetic is float64; the inner loops run with stride 1 over blocks of
 * voxels, and nothing is allocated per voxel.
 */
export function fitGlm(
  model: GlmModel,
  Y: Float32Array,
  V: number,
  valid: Uint8Array | undefined,
  tOut: Float32Array[],
  residOut?: Float32Array,
  betaOut?: Float64Array[],
): void {
  const { n, p, X, factor, contrasts, contrastScale } = model;
  const nc = contrasts.length;
  if (!Number.isInteger(V) || V < 0) throw new InvalidParameter(`voxel count must be a non-negative integer, got ${V}`);
  if (Y.length !== n * V) {
    throw new InvalidParameter(`data hold ${Y.length} values; expected n × V = ${n} × ${V} = ${n * V}`);
  }
  if (valid && valid.length !== V) throw new InvalidParameter(`valid mask has ${valid.length} entries; expected ${V}`);
  if (tOut.length !== nc) throw new InvalidParameter(`tOut has ${tOut.length} maps; the model has ${nc} contrasts`);
  for (const t of tOut) {
    if (t.length !== V) throw new InvalidParameter(`a t output has ${t.length} voxels; expected ${V}`);
  }
  if (residOut && residOut.length !== n * V) {
    throw new InvalidParameter(`residual output has ${residOut.length} values; expected ${n * V}`);
  }
  if (betaOut) {
    if (betaOut.length !== p) throw new InvalidParameter(`betaOut has ${betaOut.length} maps; expected ${p}`);
    for (const b of betaOut) {
      if (b.length !== V) throw new InvalidParameter(`a beta output has ${b.length} voxels; expected ${V}`);
    }
  }

  const pinv = factor.pinv;
  const dof = factor.dof;
  // Contrast weights pre-divided by their scale: t = (Σ_j w_j β_j) / σ̂.
  const w = new Float64Array(nc * p);
  for (let c = 0; c < nc; c++) {
    for (let j = 0; j < p; j++) w[c * p + j] = contrasts[c][j] / contrastScale[c];
  }

  const beta = new Float64Array(p * BLOCK);
  const res = new Float64Array(BLOCK);
  const rss = new Float64Array(BLOCK);
  const ssy = new Float64Array(BLOCK);
  const invSigma = new Float64Array(BLOCK);

  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    const bl = Math.min(BLOCK, V - v0);
    const v1 = v0 + bl;
    let allValid = true;
    let anyValid = true;
    if (valid) {
      let count = 0;
      for (let v = v0; v < v1; v++) if (valid[v] !== 0) count++;
      allValid = count === bl;
      anyValid = count > 0;
    }
    if (!anyValid) {
      for (let c = 0; c < nc; c++) tOut[c].fill(0, v0, v1);
      if (residOut) for (let i = 0; i < n; i++) residOut.fill(0, i * V + v0, i * V + v1);
      if (betaOut) for (let j = 0; j < p; j++) betaOut[j].fill(0, v0, v1);
      continue;
    }

    // β[j][b] = Σ_i pinv[j,i] · Y[i][v0+b], four subjects per sweep so each
    // β element is loaded and stored once per four rows of Y.
    beta.fill(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const y0 = i * V + v0;
      const y1 = y0 + V;
      const y2 = y1 + V;
      const y3 = y2 + V;
      for (let j = 0; j < p; j++) {
        const r = j * n + i;
        const w0 = pinv[r];
        const w1 = pinv[r + 1];
        const w2 = pinv[r + 2];
        const w3 = pinv[r + 3];
        const bo = j * BLOCK;
        for (let b = 0; b < bl; b++) {
          beta[bo + b] += w0 * Y[y0 + b] + w1 * Y[y1 + b] + w2 * Y[y2 + b] + w3 * Y[y3 + b];
        }
      }
    }
    for (; i < n; i++) {
      const yo = i * V + v0;
      for (let j = 0; j < p; j++) {
        const pij = pinv[j * n + i];
        const bo = j * BLOCK;
        for (let b = 0; b < bl; b++) beta[bo + b] += pij * Y[yo + b];
      }
    }

    // e_i = y_i − Σ_j X[i,j] β_j ; rss = Σ e_i² ; ssy = Σ y_i²
    rss.fill(0);
    ssy.fill(0);
    for (let i = 0; i < n; i++) {
      const yo = i * V + v0;
      for (let b = 0; b < bl; b++) {
        const y = Y[yo + b];
        res[b] = y;
        ssy[b] += y * y;
      }
      let j = 0;
      for (; j + 4 <= p; j += 4) {
        const x0 = X[i * p + j];
        const x1 = X[i * p + j + 1];
        const x2 = X[i * p + j + 2];
        const x3 = X[i * p + j + 3];
        const b0 = j * BLOCK;
        const b1 = b0 + BLOCK;
        const b2 = b1 + BLOCK;
        const b3 = b2 + BLOCK;
        for (let b = 0; b < bl; b++) {
          res[b] -= x0 * beta[b0 + b] + x1 * beta[b1 + b] + x2 * beta[b2 + b] + x3 * beta[b3 + b];
        }
      }
      for (; j < p; j++) {
        const xij = X[i * p + j];
        if (xij === 0) continue;
        const bo = j * BLOCK;
        for (let b = 0; b < bl; b++) res[b] -= xij * beta[bo + b];
      }
      if (!residOut) {
        for (let b = 0; b < bl; b++) rss[b] += res[b] * res[b];
      } else if (allValid) {
        for (let b = 0; b < bl; b++) {
          const r = res[b];
          rss[b] += r * r;
          residOut[yo + b] = r;
        }
      } else {
        const vm = valid as Uint8Array;
        for (let b = 0; b < bl; b++) {
          const r = res[b];
          rss[b] += r * r;
          residOut[yo + b] = vm[v0 + b] !== 0 ? r : 0;
        }
      }
    }

    // 1/σ̂, 0 for zero variance or invalid voxels.
    for (let b = 0; b < bl; b++) {
      const r = rss[b];
      const ok = (allValid || (valid as Uint8Array)[v0 + b] !== 0) && r > ZERO_VARIANCE_REL * ssy[b];
      invSigma[b] = ok ? 1 / Math.sqrt(r / dof) : 0;
    }
    for (let c = 0; c < nc; c++) {
      const out = tOut[c];
      const wo = c * p;
      for (let b = 0; b < bl; b++) {
        let num = 0;
        for (let j = 0; j < p; j++) num += w[wo + j] * beta[j * BLOCK + b];
        const t = num * invSigma[b];
        out[v0 + b] = invSigma[b] !== 0 && Number.isFinite(t) ? t : 0;
      }
    }
    if (betaOut) {
      for (let j = 0; j < p; j++) {
        const out = betaOut[j];
        const bo = j * BLOCK;
        if (allValid) {
          for (let b = 0; b < bl; b++) out[v0 + b] = beta[bo + b];
        } else {
          const vm = valid as Uint8Array;
          for (let b = 0; b < bl; b++) out[v0 + b] = vm[v0 + b] !== 0 ? beta[bo + b] : 0;
        }
      }
    }
  }
}
