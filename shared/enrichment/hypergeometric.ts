/**
 * Hypergeometric distribution for over-representation analysis: drawing n genes
 * (the list) without replacement from N (the background) of which K are in a set,
 * X = overlap. Exact tail by summing probability-mass terms through their ratios,
 * anchored on log pmf, so p-values far below 1e-300 are still returned as log p.
 */
import { InvalidParameter } from '../errors.ts';

const LN_SQRT_2PI = 0.9189385332046728;
const SMALL = 1024;
const LOG_FACT: Float64Array = (() => {
  const t = new Float64Array(SMALL + 1);
  for (let i = 2; i <= SMALL; i++) t[i] = t[i - 1]! + Math.log(i);
  return t;
})();

/** log(n!) for integer n ≥ 0: a table below 1025, Stirling's series (to x⁻⁷) above. */
export function logFactorial(n: number): number {
  if (n <= SMALL) return LOG_FACT[n]!;
  const x = n + 1;
  const r = 1 / x;
  const r2 = r * r;
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 - r2 / 1680)));
}

/** log C(n, k); −∞ outside 0 ≤ k ≤ n. */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

function check(N: number, K: number, n: number, k: number): void {
  for (const [name, v] of [['N', N], ['K', K], ['n', n], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new InvalidParameter(`hypergeometric ${name} must be a non-negative integer (got ${v})`, name);
  }
  if (K > N || n > N) throw new InvalidParameter(`hypergeometric needs K ≤ N and n ≤ N (N=${N}, K=${K}, n=${n})`, 'N');
}

/** log P(X = k) for X ~ Hypergeometric(N, K, n). */
export function hypergeomLogPmf(k: number, N: number, K: number, n: number): number {
  check(N, K, n, k);
  return logChoose(K, k) + logChoose(N - K, n - k) - logChoose(N, n);
}

/**
 * Upper tail P(X ≥ k) and its natural log. When k lies above the mode the terms
 * pmf(k), pmf(k+1), … decrease and are summed relative to pmf(k); otherwise the lower
 * tail P(X ≤ k − 1) (terms decreasing downwards) is summed and p = 1 − that.
 */
export function hypergeomUpperTail(k: number, N: number, K: number, n: number): { p: number; logP: number } {
  check(N, K, n, k);
  const lo = Math.max(0, n + K - N);
  const hi = Math.min(n, K);
  if (k <= lo) return { p: 1, logP: 0 };
  if (k > hi) return { p: 0, logP: -Infinity };
  const mode = Math.floor(((n + 1) * (K + 1)) / (N + 2));
  if (k > mode) {
    let s = 1;
    let t = 1;
    for (let x = k; x < hi; x++) {
      t *= ((K - x) * (n - x)) / ((x + 1) * (N - K - n + x + 1));
      s += t;
      if (t < s * 1e-17) break;
    }
    const logP = hypergeomLogPmf(k, N, K, n) + Math.log(s);
    return { p: Math.exp(logP), logP: Math.min(0, logP) };
  }
  // lower tail from k − 1 down to lo
  let s = 1;
  let t = 1;
  for (let x = k - 1; x > lo; x--) {
    t *= (x * (N - K - n + x)) / ((K - x + 1) * (n - x + 1));
    s += t;
    if (t < s * 1e-17) break;
  }
  const lower = Math.min(1, Math.exp(hypergeomLogPmf(k - 1, N, K, n)) * s);
  const logP = Math.log1p(-lower);
  return { p: Math.exp(logP), logP };
}
