/**
 * Partial least squares of one response map y (n regions) on a region × gene matrix X (n × p,
 * row-major: region i, gene g at X[i·p + g]).
 *
 * Both are z-scored across regions (mean 0, standard deviation with ddof 1). PLS1 has a closed form
 * for a single response: r = X0ᵀy0, t = X0 r, weights w = r/‖t‖, score t̂ = t/‖t‖, q = y0ᵀt̂ and
 * variance explained q²/‖y0‖² = (y0ᵀX0X0ᵀy0)² / (‖X0X0ᵀy0‖² ‖y0‖²). Further components follow
 * SIMPLS (de Jong 1993), whose first component is the closed form; the fraction of y's variance
 * each explains is q_a²/‖y0‖² (the scores are orthonormal).
 *
 * Sign convention: each component is oriented so that corr(score, y) ≥ 0; for PLS1 this makes a
 * positive gene weight mean more expression where the map is higher (r_g = x_gᵀy0).
 */
import { NeuroburstError } from '../errors.ts';

/** The response or the expression matrix cannot support a PLS fit (too few regions, constant response). */
export class InvalidPlsInput extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidPlsInput', message, input);
  }
}

export interface ZScored {
  data: Float64Array;
  mean: Float64Array;
  sd: Float64Array;
}

/** z-score the columns of an n × p row-major matrix (ddof 1). A constant column becomes all 0 (sd reported as 0). */
export function zscoreColumns(X: ArrayLike<number>, n: number, p: number): ZScored {
  const mean = new Float64Array(p);
  const sd = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) mean[g]! += X[i * p + g]!;
  for (let g = 0; g < p; g++) mean[g]! /= n;
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) {
    const d = X[i * p + g]! - mean[g]!;
    sd[g]! += d * d;
  }
  for (let g = 0; g < p; g++) sd[g] = Math.sqrt(sd[g]! / (n - 1));
  const data = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) {
    const s = sd[g]!;
    data[i * p + g] = s > 0 ? (X[i * p + g]! - mean[g]!) / s : 0;
  }
  return { data, mean, sd };
}

/** z-score a vector (ddof 1); throws InvalidPlsInput for a constant one. */
export function zscore(y: ArrayLike<number>, input = 'y'): Float64Array {
  const n = y.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += y[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i]! - m) ** 2;
  const s = Math.sqrt(ss / (n - 1));
  if (!(s > 0) || !(s > 1e-12 * Math.max(1, Math.abs(m)))) {
    throw new InvalidPlsInput(`the response is constant over the ${n} regions; PLS needs a map that varies`, input);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (y[i]! - m) / s;
  return out;
}

export interface PlsComponent {
  /** Gene weights r_a (p), scaled so that the score X0 r_a has unit norm. */
  weights: Float64Array;
  /** Region scores t_a = X0 r_a (n, unit norm). */
  scores: Float64Array;
  /** Fraction of the z-scored response's variance this component explains. */
  varianceExplained: number;
}

export interface Pls1Fit extends PlsComponent {
  /** r = X0ᵀ y0 (unnormalised covariance of every gene with the map). */
  r: Float64Array;
  /** ‖X0 r‖. */
  tNorm: number;
}

export function checkShape(n: number, p: number, X: ArrayLike<number>, y: ArrayLike<number>): void {
  if (n < 3) throw new InvalidPlsInput(`PLS needs at least 3 regions, got ${n}`, 'regions');
  if (p < 1) throw new InvalidPlsInput('the expression matrix holds no gene', 'expression');
  if (X.length !== n * p) throw new RangeError(`X holds ${X.length} values, expected ${n}×${p}`);
  if (y.length !== n) throw new RangeError(`y holds ${y.length} values, expected ${n}`);
}

/** Closed-form PLS1 on already z-scored X0 (n × p) and y0 (n). */
export function pls1(X0: Float64Array, y0: Float64Array, n: number, p: number): Pls1Fit {
  checkShape(n, p, X0, y0);
  const r = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const yi = y0[i]!;
    const row = i * p;
    for (let g = 0; g < p; g++) r[g]! += X0[row + g]! * yi;
  }
  const t = new Float64Array(n);
  let tt = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * p;
    for (let g = 0; g < p; g++) s += X0[row + g]! * r[g]!;
    t[i] = s;
    tt += s * s;
  }
  const tNorm = Math.sqrt(tt);
  if (!(tNorm > 0)) throw new InvalidPlsInput('the response is orthogonal to every gene (X0ᵀy0 = 0): PLS1 is undefined', 'expression');
  let q = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    t[i] = t[i]! / tNorm;
    q += y0[i]! * t[i]!;
    yy += y0[i]! * y0[i]!;
  }
  const weights = new Float64Array(p);
  for (let g = 0; g < p; g++) weights[g] = r[g]! / tNorm;
  return { weights, scores: t, varianceExplained: (q * q) / yy, r, tNorm };
}

/**
 * SIMPLS (de Jong 1993) for one response: k components (k ≤ n − 1). Component 1 equals
 * {@link pls1}. Stops early (fewer components) when the remaining cross-covariance vanishes.
 */
export function simpls(X0: Float64Array, y0: Float64Array, n: number, p: number, k: number): PlsComponent[] {
  checkShape(n, p, X0, y0);
  const kMax = Math.min(k, n - 1, p);
  let yy = 0;
  for (let i = 0; i < n; i++) yy += y0[i]! * y0[i]!;
  // S = X0ᵀ y0, deflated by the orthonormal loading basis V
  const S = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) S[g]! += X0[i * p + g]! * y0[i]!;
  const sNorm0 = Math.sqrt(S.reduce((a, b) => a + b * b, 0));
  const V: Float64Array[] = [];
  const out: PlsComponent[] = [];
  for (let a = 0; a < kMax; a++) {
    const sNorm = Math.sqrt(S.reduce((s, v) => s + v * v, 0));
    if (!(sNorm > 1e-10 * sNorm0)) break;
    const r = Float64Array.from(S);
    const t = new Float64Array(n);
    let tt = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let g = 0; g < p; g++) s += X0[i * p + g]! * r[g]!;
      t[i] = s;
      tt += s * s;
    }
    const tn = Math.sqrt(tt);
    if (!(tn > 0)) break;
    let q = 0;
    for (let i = 0; i < n; i++) {
      t[i] = t[i]! / tn;
      q += y0[i]! * t[i]!;
    }
    for (let g = 0; g < p; g++) r[g] = r[g]! / tn;
    // loading p_a = X0ᵀ t, orthogonalised against earlier loadings
    const v = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) v[g]! += X0[i * p + g]! * t[i]!;
    for (const u of V) {
      let d = 0;
      for (let g = 0; g < p; g++) d += u[g]! * v[g]!;
      for (let g = 0; g < p; g++) v[g]! -= d * u[g]!;
    }
    const vn = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let g = 0; g < p; g++) v[g] = v[g]! / vn;
    V.push(v);
    let d = 0;
    for (let g = 0; g < p; g++) d += v[g]! * S[g]!;
    for (let g = 0; g < p; g++) S[g]! -= d * v[g]!;
    if (q < 0) {
      q = -q;
      for (let i = 0; i < n; i++) t[i] = -t[i]!;
      for (let g = 0; g < p; g++) r[g] = -r[g]!;
    }
    out.push({ weights: r, scores: t, varianceExplained: (q * q) / yy });
  }
  return out;
}

/** Convenience: z-score raw X and y, then closed-form PLS1. */
export function fitPls1(X: ArrayLike<number>, y: ArrayLike<number>, n: number, p: number): Pls1Fit & { X0: Float64Array; y0: Float64Array } {
  checkShape(n, p, X, y);
  const y0 = zscore(y);
  const X0 = zscoreColumns(X, n, p).data;
  return { ...pls1(X0, y0, n, p), X0, y0 };
}
