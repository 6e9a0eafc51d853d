/**
 * One-way repeated-measures ANOVA (subjects × conditions) with post-hoc paired t-tests.
 *
 * Used for ROI-to-ROI connectivity across target groups (Ji et al. 2025: the network's
 * connectivity with the somato-cognitive action network and canonical networks): every
 * connectome subject contributes a value to every target group, so the groups are not
 * independent samples — the subject effect is removed from the error term (repeated
 * measures). An independent one-way ANOVA would leave the between-subject variance in the
 * error and treat n·k values as n·k subjects.
 *
 *   SS_cond = n Σ_j (ȳ·j − ȳ)², SS_subj = k Σ_i (ȳi· − ȳ)², SS_err = SS_total − SS_cond − SS_subj,
 *   F = (SS_cond/(k−1)) / (SS_err/((n−1)(k−1))), p = P(F_{k−1,(n−1)(k−1)} > F)
 *     = I_{d2/(d2 + d1·F)}(d2/2, d1/2).
 *
 * Sphericity: the Greenhouse–Geisser ε = tr(S̃)² / ((k−1)·tr(S̃²)) of the double-centred
 * k×k covariance S̃ is reported with the GG-corrected p (both df multiplied by ε).
 * Post-hoc: paired t-test of every pair of conditions (df = n − 1, two-sided), with
 * Bonferroni (p·m, capped at 1) and Holm step-down adjusted p over the m = k(k−1)/2 pairs.
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { incBeta, twoTailedTP } from './distributions.ts';

/** Upper tail P(F > f) of the F distribution with (d1, d2) degrees of freedom (non-integer df allowed). */
export function fTail(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f) || !(d1 > 0) || !(d2 > 0)) return NaN;
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  return incBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

export interface PairedTest {
  a: number;
  b: number;
  /** mean of (y_a − y_b) */
  meanDiff: number;
  t: number;
  df: number;
  p: number;
  pBonferroni: number;
  pHolm: number;
}

export interface RmAnova {
  n: number;
  k: number;
  conditionMeans: number[];
  ssConditions: number;
  ssSubjects: number;
  ssError: number;
  dfConditions: number;
  dfError: number;
  F: number;
  p: number;
  /** SS_cond / (SS_cond + SS_err) */
  partialEtaSquared: number;
  greenhouseGeisser: { epsilon: number; p: number };
  posthoc: PairedTest[];
}

/** Holm step-down adjusted p values (same order as the input). */
export function holmAdjust(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((x, y) => p[x]! - p[y]! || x - y);
  const out = new Array<number>(m);
  let run = 0;
  order.forEach((i, r) => {
    run = Math.max(run, Math.min(1, (m - r) * p[i]!));
    out[i] = run;
  });
  return out;
}

/**
 * @param y row-major n × k values (subject i, condition j at i·k + j); every value finite
 */
export function rmAnovaOneWay(y: ArrayLike<number>, n: number, k: number, input = 'values'): RmAnova {
  if (!Number.isInteger(n) || !Number.isInteger(k)) throw new InvalidParameter(`n and k must be integers, got ${n} × ${k}`, input);
  if (n < 2) throw new EmptyData(`a repeated-measures ANOVA needs at least 2 subjects, got ${n}`, input);
  if (k < 2) throw new InvalidParameter(`a repeated-measures ANOVA needs at least 2 conditions, got ${k}`, input);
  if (y.length !== n * k) throw new InvalidParameter(`${y.length} values for ${n} subjects × ${k} conditions`, input);
  for (let i = 0; i < n * k; i++) if (!Number.isFinite(y[i]!)) throw new InvalidParameter(`subject ${Math.floor(i / k) + 1}, condition ${(i % k) + 1} is ${y[i]}; values must be finite`, input);
  let grand = 0;
  for (let i = 0; i < n * k; i++) grand += y[i]!;
  grand /= n * k;
  const cm = new Array<number>(k).fill(0);
  const sm = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
    cm[j] += y[i * k + j]!;
    sm[i] += y[i * k + j]!;
  }
  for (let j = 0; j < k; j++) cm[j] /= n;
  for (let i = 0; i < n; i++) sm[i] /= k;
  let ssTotal = 0;
  for (let i = 0; i < n * k; i++) ssTotal += (y[i]! - grand) ** 2;
  const ssC = n * cm.reduce((s, m) => s + (m - grand) ** 2, 0);
  const ssS = k * sm.reduce((s, m) => s + (m - grand) ** 2, 0);
  const ssE = Math.max(0, ssTotal - ssC - ssS);
  const d1 = k - 1;
  const d2 = (n - 1) * (k - 1);
  const F = ssE > 0 ? ssC / d1 / (ssE / d2) : ssC > 0 ? Infinity : NaN;
  // Greenhouse–Geisser: double-centred covariance of the conditions
  const cov = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = a; b < k; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (y[i * k + a]! - cm[a]!) * (y[i * k + b]! - cm[b]!);
    cov[a * k + b] = cov[b * k + a] = s / (n - 1);
  }
  const rowMean = new Float64Array(k);
  let allMean = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) rowMean[a] += cov[a * k + b]! / k;
    allMean += rowMean[a]! / k;
  }
  let tr = 0;
  let tr2 = 0;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    const c = cov[a * k + b]! - rowMean[a]! - rowMean[b]! + allMean;
    if (a === b) tr += c;
    tr2 += c * c;
  }
  const epsilon = tr2 > 0 ? Math.min(1, (tr * tr) / (d1 * tr2)) : NaN;
  const pairs: Omit<PairedTest, 'pBonferroni' | 'pHolm'>[] = [];
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
    let md = 0;
    for (let i = 0; i < n; i++) md += y[i * k + a]! - y[i * k + b]!;
    md /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (y[i * k + a]! - y[i * k + b]! - md) ** 2;
    const se = Math.sqrt(ss / (n - 1) / n);
    const t = se > 0 ? md / se : md === 0 ? NaN : Math.sign(md) * Infinity;
    pairs.push({ a, b, meanDiff: md, t, df: n - 1, p: Number.isFinite(t) ? twoTailedTP(t, n - 1) : Number.isNaN(t) ? NaN : 0 });
  }
  const m = pairs.length;
  const holm = holmAdjust(pairs.map((q) => (Number.isNaN(q.p) ? 1 : q.p)));
  return {
    n,
    k,
    conditionMeans: cm,
    ssConditions: ssC,
    ssSubjects: ssS,
    ssError: ssE,
    dfConditions: d1,
    dfError: d2,
    F,
    p: fTail(F, d1, d2),
    partialEtaSquared: ssC + ssE > 0 ? ssC / (ssC + ssE) : NaN,
    greenhouseGeisser: { epsilon, p: Number.isFinite(epsilon) ? fTail(F, epsilon * d1, epsilon * d2) : NaN },
    posthoc: pairs.map((q, i) => ({ ...q, pBonferroni: Math.min(1, q.p * m), pHolm: Number.isNaN(q.p) ? NaN : holm[i]! })),
  };
}
