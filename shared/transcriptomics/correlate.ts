/**
 * Map–map correlation with a spin null (neuromaps convention): the response map is spun, the
 * other map stays; r_null per spin over the regions finite in both; two-sided
 * p = (1 + #(|r_null| ≥ |r|)) / (N + 1). Pearson r and Spearman ρ (Pearson of average ranks)
 * each get their own spin p from the same spins.
 */
import { bhAdjust } from '../stats/fdr.ts';
import { TIE_TOL } from './nulls.ts';

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx, b = y[i]! - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Average ranks (1-based; ties share the mean rank). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || a - b);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]!] = avg;
    i = j + 1;
  }
  return r;
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

export interface SpinCorrelation {
  n: number;
  r: number;
  rho: number;
  pSpin: number;
  pSpinRho: number;
  nSpin: number;
}

/**
 * `y` is spun by `spins` (count × n resampling arrays over the same n regions); regions where x
 * or the spun y is NaN are left out of that correlation.
 */
export function spinCorrelation(x: ArrayLike<number>, y: ArrayLike<number>, spins: Int32Array, count: number): SpinCorrelation {
  const n = x.length;
  const pick = (ys: ArrayLike<number>) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(x[i]!) && Number.isFinite(ys[i]!)) {
      a.push(x[i]!);
      b.push(ys[i]!);
    }
    return [a, b] as const;
  };
  const [x0, y0] = pick(y);
  const r = pearson(x0, y0);
  const rho = spearman(x0, y0);
  let er = 0, erho = 0, nn = 0;
  const ys = new Float64Array(n);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < n; i++) ys[i] = y[spins[k * n + i]!]!;
    const [a, b] = pick(ys);
    if (a.length < 3) continue;
    const rn = pearson(a, b);
    const rhon = spearman(a, b);
    if (!Number.isFinite(rn)) continue;
    nn++;
    if (Math.abs(rn) >= Math.abs(r) * (1 - TIE_TOL)) er++;
    if (Math.abs(rhon) >= Math.abs(rho) * (1 - TIE_TOL)) erho++;
  }
  return { n: x0.length, r, rho, pSpin: (1 + er) / (nn + 1), pSpinRho: (1 + erho) / (nn + 1), nSpin: nn };
}

/** Per-gene spin p and BH q from counts of |r_null| ≥ |r| out of nSpin spins. */
export function geneSpinTable(counts: Int32Array, nSpin: number): { pSpin: Float64Array; q: Float64Array } {
  const pSpin = new Float64Array(counts.length);
  for (let g = 0; g < counts.length; g++) pSpin[g] = (1 + counts[g]!) / (nSpin + 1);
  return { pSpin, q: bhAdjust(pSpin) };
}
