/**
 * Correlation of two variables with a two-sided p (R's `cor.test`): Pearson r with
 * t = r√((n − 2)/(1 − r²)) on n − 2 df; Spearman ρ = Pearson r of the average ranks, with
 * the same t approximation (R's `cor.test(method = "spearman", exact = FALSE)`; R's default
 * exact p for small n without ties, AS 89, is not done here). For cluster values of two
 * analyses of the same subjects (e.g. GMV cluster vs ReHo cluster).
 */
import { InvalidParameter } from '../errors.ts';
import { twoTailedTP } from './distributions.ts';
import { averageRanks } from './rank-tests.ts';

export interface CorrelationResult {
  method: 'pearson' | 'spearman';
  r: number;
  n: number;
  df: number;
  t: number;
  p: number;
}

function pearsonR(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Correlation of paired values; pairs with a non-finite member are left out. */
export function correlate(x: ArrayLike<number>, y: ArrayLike<number>, method: 'pearson' | 'spearman' = 'pearson'): CorrelationResult {
  if (x.length !== y.length) throw new InvalidParameter(`correlation needs paired values; got ${x.length} and ${y.length}`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]);
      ys.push(y[i]);
    }
  }
  const n = xs.length;
  if (n < 3) throw new InvalidParameter(`correlation needs at least 3 complete pairs, got ${n}`);
  const r = method === 'spearman' ? pearsonR(averageRanks(xs).ranks, averageRanks(ys).ranks) : pearsonR(xs, ys);
  if (!Number.isFinite(r)) throw new InvalidParameter('correlation is undefined: one variable is constant');
  const df = n - 2;
  const t = Math.abs(r) >= 1 ? Math.sign(r) * Infinity : r * Math.sqrt(df / (1 - r * r));
  return { method, r, n, df, t, p: Math.abs(r) >= 1 ? 0 : twoTailedTP(t, df) };
}
