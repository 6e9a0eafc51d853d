import { InvalidParameter, SingularDesign } from '../errors.ts';
import { factorDesign } from '../stats/linalg.ts';

/**
 * DPARSF-style nuisance regression: design [1, t, Friston-24, spikes, WM, CSF], every
 * column except the constant demeaned, OLS residuals per voxel (the mean is not added back).
 */

export interface NuisanceParts {
  /** linear trend column t = 1..T */
  trend: boolean;
  /** T × 24 row-major Friston-24 regressors */
  friston24?: Float64Array;
  /** 0-based volumes with one one-hot spike column each */
  spikes: number[];
  wm?: Float64Array;
  csf?: Float64Array;
}

export interface NuisanceDesign {
  /** T × p row-major */
  X: Float64Array;
  T: number;
  p: number;
  columns: string[];
}

/** Build the design in DPARSF's column order and demean every column except the constant. */
export function nuisanceDesign(T: number, parts: NuisanceParts): NuisanceDesign {
  const cols: { name: string; v: Float64Array }[] = [{ name: 'constant', v: new Float64Array(T).fill(1) }];
  if (parts.trend) cols.push({ name: 'trend', v: Float64Array.from({ length: T }, (_, t) => t + 1) });
  if (parts.friston24) {
    if (parts.friston24.length !== T * 24) throw new InvalidParameter(`Friston-24 regressors must be ${T} × 24`, 'confounds');
    const names = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'];
    const kinds = ['', '_lag1', '_sq', '_lag1_sq'];
    for (let c = 0; c < 24; c++) {
      const v = new Float64Array(T);
      for (let t = 0; t < T; t++) v[t] = parts.friston24[t * 24 + c]!;
      cols.push({ name: names[c % 6]! + kinds[Math.floor(c / 6)]!, v });
    }
  }
  for (const s of parts.spikes) {
    if (!(Number.isInteger(s) && s >= 0 && s < T)) throw new InvalidParameter(`spike volume ${s} outside 0..${T - 1}`, 'confounds');
    const v = new Float64Array(T);
    v[s] = 1;
    cols.push({ name: `spike_${s}`, v });
  }
  for (const [name, v] of [
    ['wm', parts.wm],
    ['csf', parts.csf],
  ] as const) {
    if (!v) continue;
    if (v.length !== T) throw new InvalidParameter(`${name} signal has ${v.length} values, expected ${T}`, 'confounds');
    cols.push({ name, v: Float64Array.from(v) });
  }
  for (const c of cols.slice(1)) {
    let m = 0;
    for (let t = 0; t < T; t++) m += c.v[t]!;
    m /= T;
    for (let t = 0; t < T; t++) c.v[t]! -= m;
  }
  const p = cols.length;
  const X = new Float64Array(T * p);
  cols.forEach((c, j) => {
    for (let t = 0; t < T; t++) X[t * p + j] = c.v[t]!;
  });
  return { X, T, p, columns: cols.map((c) => c.name) };
}

export interface NuisanceModel {
  T: number;
  p: number;
  /** design actually fitted (all-zero columns dropped), T × p row-major */
  X: Float64Array;
  /** (XᵀX)⁻¹Xᵀ, p × T row-major */
  pinv: Float64Array;
  columns: string[];
  dropped: string[];
}

/**
 * Factor a nuisance design for repeated residualisation. Columns that are all zero after
 * demeaning (e.g. a motion parameter that never moves) carry no information and are dropped.
 */
export function nuisanceModel(d: NuisanceDesign, input = 'confounds'): NuisanceModel {
  const keep: number[] = [];
  const dropped: string[] = [];
  for (let j = 0; j < d.p; j++) {
    let any = false;
    for (let t = 0; t < d.T && !any; t++) any = d.X[t * d.p + j] !== 0;
    if (any) keep.push(j);
    else dropped.push(d.columns[j]!);
  }
  const p = keep.length;
  const X = new Float64Array(d.T * p);
  for (let t = 0; t < d.T; t++) keep.forEach((j, k) => (X[t * p + k] = d.X[t * d.p + j]!));
  let pinv: Float64Array;
  try {
    pinv = factorDesign(X, d.T, p, input).pinv;
  } catch (e) {
    if (e instanceof SingularDesign) throw new SingularDesign(`nuisance design (${p} columns, ${d.T} volumes): ${e.message}`, input);
    throw e;
  }
  return { T: d.T, p, X, pinv, columns: keep.map((j) => d.columns[j]!), dropped };
}

/**
 * Residuals of y (length T) on the model, written to out (may be y). An all-zero series is
 * left all zero (DPARSF skips it). beta is a scratch buffer of length ≥ p.
 */
export function regressOut(m: NuisanceModel, y: Float64Array, out: Float64Array, beta: Float64Array, yOffset = 0, outOffset = 0): void {
  const { T, p, X, pinv } = m;
  let nonzero = false;
  for (let t = 0; t < T; t++) {
    if (y[yOffset + t] !== 0) {
      nonzero = true;
      break;
    }
  }
  if (!nonzero) {
    for (let t = 0; t < T; t++) out[outOffset + t] = 0;
    return;
  }
  for (let j = 0; j < p; j++) {
    let s = 0;
    const row = j * T;
    for (let t = 0; t < T; t++) s += pinv[row + t]! * y[yOffset + t]!;
    beta[j] = s;
  }
  for (let t = 0; t < T; t++) {
    let f = 0;
    const row = t * p;
    for (let j = 0; j < p; j++) f += X[row + j]! * beta[j]!;
    out[outOffset + t] = y[yOffset + t]! - f;
  }
}
