/** Welch's unequal-variance two-sample t-test (ALGORITHMS §H validation of ROI values). */
import { InvalidParameter } from '../errors.ts';
import { twoTailedTP } from '../stats/distributions.ts';

export interface WelchTTest {
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** sample variances (n − 1) */
  varA: number;
  varB: number;
  /** (meanA − meanB) / √(varA/nA + varB/nB) */
  t: number;
  /** Welch–Satterthwaite degrees of freedom */
  df: number;
  /** two-sided p from Student's t with df (shared/stats/distributions twoTailedTP) */
  p: number;
}

function meanVar(x: ArrayLike<number>, what: string, input: string): [number, number] {
  const n = x.length;
  if (n < 2) throw new InvalidParameter(`${what} has ${n} value(s); Welch's t-test needs at least 2 per group`, input);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new InvalidParameter(`${what}[${i}] is ${v}; values must be finite`, input);
    m += v;
  }
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i]! - m) ** 2;
  return [m, ss / (n - 1)];
}

/**
 * Welch's unequal-variance t-test of A vs B (e.g. sphere-ROI overlap values of two sets of
 * coordinates): t = (mA − mB)/√(sA²/nA + sB²/nB), df = (sA²/nA + sB²/nB)² /
 * ((sA²/nA)²/(nA−1) + (sB²/nB)²/(nB−1)), two-sided p. Each group needs ≥ 2 finite values
 * (InvalidParameter otherwise). When both groups are constant the standard error is 0 and
 * t, df and p are NaN (undefined), even if the means differ.
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>, input = 'groups'): WelchTTest {
  const [meanA, varA] = meanVar(a, 'group A', input);
  const [meanB, varB] = meanVar(b, 'group B', input);
  const nA = a.length;
  const nB = b.length;
  const qa = varA / nA;
  const qb = varB / nB;
  const se2 = qa + qb;
  if (!(se2 > 0)) return { nA, nB, meanA, meanB, varA, varB, t: NaN, df: NaN, p: NaN };
  const t = (meanA - meanB) / Math.sqrt(se2);
  const df = (se2 * se2) / ((qa * qa) / (nA - 1) + (qb * qb) / (nB - 1));
  return { nA, nB, meanA, meanB, varA, varB, t, df, p: twoTailedTP(t, df) };
}
