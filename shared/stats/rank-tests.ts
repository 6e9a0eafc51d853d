/**
 * Rank tests for group comparisons of clinical variables: Mann–Whitney U (Wilcoxon rank
 * sum) and Kruskal–Wallis.
 *
 * Mann–Whitney U follows R's `wilcox.test(x, y)` (two-sided, mu = 0, correct = TRUE,
 * exact = NULL) as it behaved up to R 4.5:
 * - U = W = (sum of the ranks of x in the pooled sample) − n_x(n_x + 1)/2, average ranks
 *   for ties;
 * - exact p when n_x < 50, n_y < 50 and there are no ties: p = min(1, 2·P), with
 *   P = P(W ≥ U) when U > n_x·n_y/2 and P(W ≤ U) otherwise, under the exact null of W
 *   (all C(n_x+n_y, n_x) splits equally likely);
 * - otherwise the normal approximation with tie and continuity correction:
 *   σ² = (n_x n_y / 12)·((N + 1) − Σ(t³ − t)/(N(N − 1))), z = (U − n_x n_y/2 − ½·sign)/σ,
 *   p = 2·min(Φ(z), 1 − Φ(z)).
 * R ≥ 4.6 computes an exact conditional p also with ties; that variant is not done here.
 *
 * Kruskal–Wallis (R's `kruskal.test`): H = [12/(N(N+1))·Σ R_g²/n_g − 3(N + 1)] divided by
 * the tie correction 1 − Σ(t³ − t)/(N³ − N); p from χ² with k − 1 degrees of freedom.
 */
import { InvalidParameter } from '../errors.ts';
import { normalCdf, normalTail } from './distributions.ts';
import { chiSquareTail } from './fdist.ts';

export interface Ranked {
  /** Average ranks (1-based), in the order of the input. */
  ranks: Float64Array;
  /** Σ (t³ − t) over groups of tied values. */
  tieSum: number;
  /** Whether any two values are equal. */
  hasTies: boolean;
}

/** Average ranks of the values (ties share the mean of their positions). */
export function averageRanks(values: ArrayLike<number>): Ranked {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  const ranks = new Float64Array(n);
  let tieSum = 0;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && values[order[j]] === values[order[i]]) j++;
    const r = (i + 1 + j) / 2; // mean of positions i+1 … j
    for (let k = i; k < j; k++) ranks[order[k]] = r;
    const t = j - i;
    if (t > 1) tieSum += t * t * t - t;
    i = j;
  }
  return { ranks, tieSum, hasTies: tieSum > 0 };
}

function checkSample(x: ArrayLike<number>, what: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new InvalidParameter(`${what}: value ${i} is not finite`, what);
  }
}

/**
 * Exact null distribution of the Mann–Whitney U for sample sizes m, n without ties:
 * counts[u] = number of m-subsets of the ranks 1…m+n whose U = rank sum − m(m+1)/2 is u,
 * u = 0 … m·n. Built by adding one rank at a time (choosing it or not); counts are
 * doubles (exact below 2^53, relatively exact beyond).
 */
export function mannWhitneyNullCounts(m: number, n: number): Float64Array {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new InvalidParameter(`Mann–Whitney sample sizes must be positive integers, got ${m} and ${n}`);
  }
  const U = m * n;
  // ways[k][u]: subsets of size k of the ranks seen so far with U-part u
  // (U-part of a subset = Σ (rank_j − j) over its sorted members j = 1…k).
  const ways: Float64Array[] = Array.from({ length: m + 1 }, () => new Float64Array(U + 1));
  ways[0][0] = 1;
  for (let r = 1; r <= m + n; r++) {
    // k descending, so ways[k − 1] still holds the subsets without rank r
    for (let k = Math.min(m, r); k >= 1; k--) {
      // rank r becomes the k-th (largest) member and adds r − k; a partial subset with
      // r − k > n cannot be completed (the m − k larger ranks would not fit)
      const add = r - k;
      if (add > n) continue;
      const src = ways[k - 1];
      const dst = ways[k];
      for (let u = U - add; u >= 0; u--) if (src[u] !== 0) dst[u + add] += src[u];
    }
  }
  return ways[m];
}

export interface MannWhitneyResult {
  /** R's W: U of the first sample. */
  U: number;
  p: number;
  method: 'exact' | 'normal';
  /** z of the normal approximation (continuity corrected); null for the exact test. */
  z: number | null;
}

/** Two-sided Mann–Whitney U of x against y, as R's wilcox.test (see the module note). */
export function mannWhitney(x: ArrayLike<number>, y: ArrayLike<number>, opts: { exact?: boolean; correct?: boolean } = {}): MannWhitneyResult {
  checkSample(x, 'x');
  checkSample(y, 'y');
  const m = x.length;
  const n = y.length;
  if (m < 1 || n < 1) throw new InvalidParameter(`Mann–Whitney needs at least one value per sample, got ${m} and ${n}`);
  const pooled = new Float64Array(m + n);
  for (let i = 0; i < m; i++) pooled[i] = x[i];
  for (let i = 0; i < n; i++) pooled[m + i] = y[i];
  const { ranks, tieSum, hasTies } = averageRanks(pooled);
  let rx = 0;
  for (let i = 0; i < m; i++) rx += ranks[i];
  const U = rx - (m * (m + 1)) / 2;
  const exact = opts.exact ?? (m < 50 && n < 50 && !hasTies);
  if (exact && !hasTies) {
    const counts = mannWhitneyNullCounts(m, n);
    let total = 0;
    for (const c of counts) total += c;
    let tail = 0;
    if (U > (m * n) / 2) for (let u = Math.ceil(U); u <= m * n; u++) tail += counts[u];
    else for (let u = 0; u <= Math.floor(U); u++) tail += counts[u];
    return { U, p: Math.min(1, (2 * tail) / total), method: 'exact', z: null };
  }
  const N = m + n;
  const sigma = Math.sqrt(((m * n) / 12) * (N + 1 - tieSum / (N * (N - 1))));
  const d = U - (m * n) / 2;
  const corr = (opts.correct ?? true) ? Math.sign(d) * 0.5 : 0;
  if (!(sigma > 0)) return { U, p: 1, method: 'normal', z: 0 }; // every value tied
  const z = (d - corr) / sigma;
  return { U, p: Math.min(1, 2 * Math.min(normalCdf(z), normalTail(z))), method: 'normal', z };
}

export interface KruskalResult {
  H: number;
  df: number;
  p: number;
}

/** Kruskal–Wallis H over k ≥ 2 non-empty groups, tie corrected, χ²(k − 1) p. */
export function kruskalWallis(groups: ArrayLike<number>[]): KruskalResult {
  const k = groups.length;
  if (k < 2) throw new InvalidParameter(`Kruskal–Wallis needs at least 2 groups, got ${k}`);
  groups.forEach((g, i) => {
    if (g.length < 1) throw new InvalidParameter(`Kruskal–Wallis: group ${i} is empty`);
    checkSample(g, `group ${i}`);
  });
  const all: number[] = [];
  for (const g of groups) for (let i = 0; i < g.length; i++) all.push(g[i]);
  const N = all.length;
  const { ranks, tieSum } = averageRanks(all);
  let s = 0;
  let off = 0;
  for (const g of groups) {
    let r = 0;
    for (let i = 0; i < g.length; i++) r += ranks[off + i];
    off += g.length;
    s += (r * r) / g.length;
  }
  const h0 = (12 / (N * (N + 1))) * s - 3 * (N + 1);
  const corr = 1 - tieSum / (N * N * N - N);
  const H = corr > 0 ? h0 / corr : 0; // all values tied: no evidence
  const df = k - 1;
  return { H, df, p: corr > 0 ? chiSquareTail(H, df) : 1 };
}
