/**
 * One-way ANOVA across groups (R's `oneway.test(var.equal = TRUE)` / `anova(lm(y ~ g))`):
 *   F = [SS_between/(k − 1)] / [SS_within/(N − k)],  p = P(F(k − 1, N − k) > F).
 * Sums of squares are taken about the group means (two-pass), so large offsets such as
 * TIV in mm³ do not cancel.
 */
import { InvalidParameter } from '../errors.ts';
import { fTail } from './fdist.ts';

export interface AnovaResult {
  F: number;
  df: [number, number];
  p: number;
  ssBetween: number;
  ssWithin: number;
}

export function oneWayAnova(groups: ArrayLike<number>[]): AnovaResult {
  const k = groups.length;
  if (k < 2) throw new InvalidParameter(`one-way ANOVA needs at least 2 groups, got ${k}`);
  let N = 0;
  let total = 0;
  groups.forEach((g, gi) => {
    if (g.length < 1) throw new InvalidParameter(`one-way ANOVA: group ${gi} is empty`);
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) throw new InvalidParameter(`one-way ANOVA: group ${gi} value ${i} is not finite`);
      total += g[i];
    }
    N += g.length;
  });
  if (N - k < 1) throw new InvalidParameter(`one-way ANOVA needs more subjects (${N}) than groups (${k})`);
  const grand = total / N;
  let ssb = 0;
  let ssw = 0;
  for (const g of groups) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i];
    const mean = s / g.length;
    ssb += g.length * (mean - grand) ** 2;
    for (let i = 0; i < g.length; i++) ssw += (g[i] - mean) ** 2;
  }
  const df: [number, number] = [k - 1, N - k];
  if (ssw === 0) {
    // no variance within groups: F is infinite when the means differ, undefined when not
    return ssb === 0 ? { F: NaN, df, p: NaN, ssBetween: 0, ssWithin: 0 } : { F: Infinity, df, p: 0, ssBetween: ssb, ssWithin: 0 };
  }
  const F = ssb / df[0] / (ssw / df[1]);
  return { F, df, p: fTail(F, df[0], df[1]), ssBetween: ssb, ssWithin: ssw };
}
