/**
 * Summaries of DBS outcomes (e.g. % seizure reduction per patient, Ji et al. 2025): median
 * and interquartile range, mean ± standard error, and responders (reduction > 50 %, strict).
 * Quartiles by linear interpolation between order statistics (Hyndman & Fan 1996 type 7,
 * R's and NumPy's default): Q(p) = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), h = (n − 1)p, 0-based.
 */
import { EmptyData, InvalidParameter } from '../errors.ts';

export interface OutcomeSummary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  iqr: number;
  mean: number;
  /** sample SD (n − 1); NaN for n = 1 */
  sd: number;
  /** sd / √n; NaN for n = 1 */
  se: number;
  min: number;
  max: number;
  /** patients with outcome > responderThreshold */
  responders: number;
  responderFraction: number;
  responderThreshold: number;
}

/** Type-7 quantile of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function summariseOutcomes(values: readonly number[], opts: { responderThreshold?: number } = {}, input = 'outcomes'): OutcomeSummary {
  const n = values.length;
  if (n === 0) throw new EmptyData('no outcome values', input);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new InvalidParameter(`${input}[${i}] is ${v}; outcomes must be finite numbers`, input);
  });
  const thr = opts.responderThreshold ?? 50;
  if (!Number.isFinite(thr)) throw new InvalidParameter(`responder threshold must be finite, got ${thr}`, input);
  const s = Float64Array.from(values).sort();
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const responders = values.filter((v) => v > thr).length;
  return { n, median: quantileSorted(s, 0.5), q1, q3, iqr: q3 - q1, mean, sd, se: sd / Math.sqrt(n), min: s[0]!, max: s[n - 1]!, responders, responderFraction: responders / n, responderThreshold: thr };
}
