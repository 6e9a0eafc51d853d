/**
 * Scaled robust sigmoid normalisation (Fulcher et al. 2013; the abagen default for
 * both sample and gene normalisation of AHBA microarray data).
 *
 *   m = median(x), s = IQR(x) / (2·Φ⁻¹(0.75)) (≈ IQR/1.349, the "normal" scale of
 *   scipy's `iqr`, quantiles linearly interpolated as numpy's default),
 *   r = 1 / (1 + exp(−(x − m)/s)),  srs = (r − min r)/(max r − min r).
 *
 * A constant vector (IQR 0) or a vector whose sigmoid is constant yields NaN
 * everywhere, as abagen does; such genes are dropped later as poorly normalised.
 */

/** 2·Φ⁻¹(0.75): the IQR of a standard normal. */
export const IQR_NORMAL_SCALE = 1.3489795003921634;

/**
 * Quantile q ∈ [0, 1] of `sorted` (ascending, finite) by linear interpolation between
 * order statistics at position q·(n − 1) (numpy `percentile` default, type 7).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const f = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * f;
}

/** Median, IQR-based scale s, as used by the robust sigmoid. */
export function robustCentreScale(x: ArrayLike<number>): { median: number; scale: number } {
  const s = Float64Array.from(x as ArrayLike<number>).sort();
  return { median: quantileSorted(s, 0.5), scale: (quantileSorted(s, 0.75) - quantileSorted(s, 0.25)) / IQR_NORMAL_SCALE };
}

/**
 * Scaled robust sigmoid of one vector. `out` may alias `x`. Any non-finite input makes
 * the whole output NaN (numpy's median/percentile propagate NaN).
 */
export function scaledRobustSigmoid(x: ArrayLike<number>, out: Float64Array = new Float64Array(x.length)): Float64Array {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]!)) return out.fill(NaN, 0, n);
  }
  const { median, scale } = robustCentreScale(x);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = 1 / (1 + Math.exp(-(x[i]! - median) / scale));
    out[i] = r;
    if (r < lo) lo = r;
    if (r > hi) hi = r;
  }
  const span = hi - lo;
  for (let i = 0; i < n; i++) out[i] = span > 0 ? (out[i]! - lo) / span : NaN;
  return out;
}

/**
 * Scaled robust sigmoid of every row (`byRows`) or every column of a row-major
 * rows × cols matrix, in place.
 */
export function srsMatrix(m: Float64Array, rows: number, cols: number, byRows: boolean): Float64Array {
  if (byRows) {
    for (let r = 0; r < rows; r++) scaledRobustSigmoid(m.subarray(r * cols, (r + 1) * cols), m.subarray(r * cols, (r + 1) * cols));
    return m;
  }
  const v = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) v[r] = m[r * cols + c]!;
    scaledRobustSigmoid(v, v);
    for (let r = 0; r < rows; r++) m[r * cols + c] = v[r]!;
  }
  return m;
}
