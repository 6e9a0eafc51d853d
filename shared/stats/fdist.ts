/**
 * F and χ² distribution tails in log space, and the F → z conversion of F-contrast maps.
 *
 * - F(d1, d2) upper tail: P(F > f) = I_x(d2/2, d1/2) with x = d2/(d2 + d1·f); the
 *   complement 1 − x = d1·f/(d2 + d1·f) is formed directly, and the incomplete beta is
 *   taken in log space (`logIncBetaPair`), so P(F > f) far below 1e-300 keeps its log.
 * - χ²(k) upper tail: Q(k/2, x/2), the regularised upper incomplete gamma, by its power
 *   series for x < a + 1 and by its continued fraction (modified Lentz) otherwise
 *   (Press et al., Numerical Recipes §6.2), the prefactor e^(−x)·x^a/Γ(a) taken in logs.
 * - F → z: the z with the same upper tail, z = Φ⁻¹(1 − P(F > f)) through log P (F is
 *   one-sided, as in PALM and FSL randomise). F ≤ 0 → z = −∞ is not useful for maps, so
 *   F = 0 (no effect, or zero variance) maps to z = 0 like t = 0 does; NaN stays NaN.
 */
import { gammaLn, log1mExp, logIncBetaPair, normalQuantileFromLogTail } from './distributions.ts';

function validDf(d: number): boolean {
  return !Number.isNaN(d) && d > 0;
}

/** log P(F > f) for F(d1, d2); 0 for f ≤ 0. */
export function logFTail(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f) || !validDf(d1) || !validDf(d2)) return NaN;
  if (f <= 0) return 0;
  if (f === Infinity) return -Infinity;
  if (d2 === Infinity) return logChiSquareTail(d1 * f, d1);
  const den = d2 + d1 * f;
  let x: number;
  let y: number;
  if (den === Infinity) {
    // d1·f overflowed: x = d2/(d1 f) underflows to a tiny positive number in logs only
    return logIncBetaPair(Math.exp(Math.log(d2) - Math.log(d1) - Math.log(f)), 1, d2 / 2, d1 / 2).logLower;
  }
  x = d2 / den;
  y = (d1 * f) / den;
  return logIncBetaPair(x, y, d2 / 2, d1 / 2).logLower;
}

/** P(F > f) for F(d1, d2). */
export function fTail(f: number, d1: number, d2: number): number {
  return Math.exp(logFTail(f, d1, d2));
}

/** P(F ≤ f), taken from the other branch of the incomplete beta (no cancellation for small f). */
export function fCdf(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f) || !validDf(d1) || !validDf(d2)) return NaN;
  if (f <= 0) return 0;
  if (f === Infinity) return 1;
  if (d2 === Infinity) return Math.exp(log1mExp(logChiSquareTail(d1 * f, d1)));
  const den = d2 + d1 * f;
  if (den === Infinity) return 1;
  return Math.exp(logIncBetaPair(d2 / den, (d1 * f) / den, d2 / 2, d1 / 2).logUpper);
}

/** z with the same upper tail as F(d1, d2) at f; 0 for f = 0, −0 or negative (see the module note). */
export function fToZ(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f) || !validDf(d1) || !validDf(d2)) return NaN;
  if (!(f > 0)) return 0;
  if (f === Infinity) return Infinity;
  return normalQuantileFromLogTail(logFTail(f, d1, d2));
}

/** Elementwise fToZ into out (may be the same buffer as f). */
export function fToZArray(f: Float32Array, d1: number, d2: number, out: Float32Array): Float32Array {
  if (out.length !== f.length) throw new RangeError(`fToZArray: out has length ${out.length}, expected ${f.length}`);
  for (let i = 0; i < f.length; i++) out[i] = fToZ(f[i], d1, d2);
  return out;
}

// ---------------------------------------------------------------- incomplete gamma -----

const G_EPS = 1e-16;
const G_TINY = 1e-300;
const G_MAX_ITER = 100000;

/** log P(a, x) by the series Σ xⁿ/((a+1)…(a+n)), for x < a + 1. */
function logGammaPSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let n = 0; n < G_MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * G_EPS) break;
  }
  return -x + a * Math.log(x) - gammaLn(a) + Math.log(sum);
}

/** log Q(a, x) by the continued fraction (modified Lentz), for x ≥ a + 1. */
function logGammaQCf(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / G_TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= G_MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < G_TINY) d = G_TINY;
    c = b + an / c;
    if (Math.abs(c) < G_TINY) c = G_TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < G_EPS) break;
  }
  return -x + a * Math.log(x) - gammaLn(a) + Math.log(h);
}

/** log of the regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a), a > 0. */
export function logGammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || !(a > 0)) return NaN;
  if (x <= 0) return 0;
  if (x === Infinity) return -Infinity;
  if (x < a + 1) return log1mExp(Math.min(0, logGammaPSeries(a, x)));
  return Math.min(0, logGammaQCf(a, x));
}

/** log P(χ²_k > x). */
export function logChiSquareTail(x: number, k: number): number {
  if (Number.isNaN(x) || !validDf(k)) return NaN;
  return logGammaQ(k / 2, x / 2);
}

/** P(χ²_k > x). */
export function chiSquareTail(x: number, k: number): number {
  return Math.exp(logChiSquareTail(x, k));
}
