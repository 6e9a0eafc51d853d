/**
 * The tests behind the demographics table, each against an independent reference: closed
 * forms of the χ² and F tails, exact null distributions by enumerating every split, and
 * hand-computed values (derivations in the comments).
 */
import { describe, expect, it } from 'vitest';
import { erfc, tTail } from '../shared/stats/distributions.ts';
import { chiSquareTail, fCdf, fTail, logChiSquareTail, logFTail } from '../shared/stats/fdist.ts';
import { averageRanks, kruskalWallis, mannWhitney, mannWhitneyNullCounts } from '../shared/stats/rank-tests.ts';
import { oneWayAnova } from '../shared/stats/anova.ts';
import { chiSquareTest, fisherExact } from '../shared/stats/contingency.ts';
import { expectNamed } from './helpers/errors.ts';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('χ² and F tails (closed forms)', () => {
  it('χ²(2) tail is exp(−x/2), also far out in logs', () => {
    for (const x of [0.01, 0.5, 2, 10, 50, 300]) expect(rel(chiSquareTail(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-13);
    expect(rel(logChiSquareTail(2000, 2), -1000)).toBeLessThan(1e-14);
  });
  it('χ²(1) tail is erfc(√(x/2)); χ²(4) tail is e^(−x/2)(1 + x/2)', () => {
    for (const x of [0.001, 0.3, 1, 3.84, 10, 40]) {
      expect(rel(chiSquareTail(x, 1), erfc(Math.sqrt(x / 2)))).toBeLessThan(1e-12);
      expect(rel(chiSquareTail(x, 4), Math.exp(-x / 2) * (1 + x / 2))).toBeLessThan(1e-12);
    }
    // 3.841459 is the 95% point of χ²(1)
    expect(chiSquareTail(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
  });
  it('F(1, ν) tail is the two-sided t tail at √f', () => {
    for (const nu of [3, 10, 71]) for (const f of [0.2, 1, 4, 25]) expect(rel(fTail(f, 1, nu), 2 * tTail(Math.sqrt(f), nu))).toBeLessThan(1e-12);
  });
  it('F(2, ν) tail is (1 + 2f/ν)^(−ν/2), also in logs far out', () => {
    for (const nu of [4, 6, 71]) {
      for (const f of [0.1, 1, 27, 500]) expect(rel(fTail(f, 2, nu), (1 + (2 * f) / nu) ** (-nu / 2))).toBeLessThan(1e-12);
      const f = 1e8;
      expect(rel(logFTail(f, 2, nu), (-nu / 2) * Math.log1p((2 * f) / nu))).toBeLessThan(1e-13);
    }
  });
  it('F(d, 2) CDF is (d f/(2 + d f))^(d/2)', () => {
    for (const d of [1, 3, 5]) for (const f of [1e-6, 0.3, 2, 30]) expect(rel(fCdf(f, d, 2), ((d * f) / (2 + d * f)) ** (d / 2))).toBeLessThan(1e-12);
  });
});

describe('Mann–Whitney U as R wilcox.test', () => {
  it('exact null equals the enumeration of every split of the ranks', () => {
    for (const [m, n] of [[1, 1], [2, 3], [4, 4], [5, 6], [3, 9]] as const) {
      const counts = mannWhitneyNullCounts(m, n);
      const brute = new Float64Array(m * n + 1);
      const N = m + n;
      for (let mask = 0; mask < 1 << N; mask++) {
        let bits = 0;
        let rs = 0;
        for (let i = 0; i < N; i++) if (mask & (1 << i)) {
          bits++;
          rs += i + 1;
        }
        if (bits === m) brute[rs - (m * (m + 1)) / 2]++;
      }
      expect(Array.from(counts)).toEqual(Array.from(brute));
    }
  });

  it('normal approximation with ties: x = (1,2,2,4,5,3,0), y = (4,6,3,8,11,11) → W = 4, p = 0.01778 (R)', () => {
    // pooled ranks: 0→1, 1→2, 2,2→3.5, 3,3→5.5, 4,4→7.5, 5→9, 6→10, 8→11, 11,11→12.5
    // rank sum of x = 2+3.5+3.5+7.5+9+5.5+1 = 32, W = 32 − 28 = 4; four tied pairs Σ(t³−t) = 24
    // σ² = (42/12)(14 − 24/156) = 48.461538…, z = (4 − 21 + ½)/σ = −2.370195…, p = 2Φ(z)
    const r = mannWhitney([1, 2, 2, 4, 5, 3, 0], [4, 6, 3, 8, 11, 11]);
    expect(r.method).toBe('normal');
    expect(r.U).toBe(4);
    const sigma = Math.sqrt(3.5 * (14 - 24 / 156));
    expect(r.z).toBeCloseTo(-16.5 / sigma, 12);
    expect(r.p).toBeCloseTo(0.01778, 5);
  });

  it('exact without ties: the same data jittered (x > y in 4 pairs) → W = 4, p = 2·12/1716 = 0.01399 (R)', () => {
    // P(W ≤ 4) for 7 vs 6: partitions of 0…4 into ≤ 7 parts ≤ 6 = 1+1+2+3+5 = 12 of C(13,7) = 1716
    const r = mannWhitney([0.9958, 1.99, 2.0035, 3.9945, 5.0093, 2.9995, -0.0095], [3.99, 6, 3.002, 8, 11, 11.003]);
    expect(r.method).toBe('exact');
    expect(r.U).toBe(4);
    expect(r.p).toBeCloseTo(24 / 1716, 14);
  });

  it('upper tail is used for U above its mean and the result is symmetric', () => {
    const x = [10, 12, 14, 16];
    const y = [1, 2, 3, 11, 13];
    const a = mannWhitney(x, y);
    const b = mannWhitney(y, x);
    expect(a.U + b.U).toBe(20);
    expect(a.p).toBeCloseTo(b.p, 15);
    // U(x) = 17 (x beats 5+5+5+... : 10>1,2,3 (3); 12>1,2,3,11 (4); 14 (5); 16 (5)) = 17 → P(U ≥ 17) = counts 17..20
    expect(a.U).toBe(17);
    const counts = mannWhitneyNullCounts(4, 5);
    const tail = counts[17] + counts[18] + counts[19] + counts[20];
    expect(a.p).toBeCloseTo((2 * tail) / 126, 15);
  });

  it('large samples use the normal approximation (n ≥ 50)', () => {
    const x = Array.from({ length: 50 }, (_, i) => i * 1.01);
    const y = Array.from({ length: 30 }, (_, i) => i * 1.37 + 0.5);
    expect(mannWhitney(x, y).method).toBe('normal');
  });
});

describe('Kruskal–Wallis', () => {
  it('hand-computed H with ties', () => {
    // groups (1,2,3), (3,4), (5,6,6,7): pooled ranks 1,2,3.5 | 3.5,5 | 6,7.5,7.5,9; N = 9
    // R = 6.5, 8.5, 30; Σ R²/n = 14.0833 + 36.125 + 225 = 275.2083
    // H0 = 12/90·275.2083 − 30 = 6.69444; ties 2 pairs → C = 1 − 12/720 = 0.983333; H = 6.80791
    const r = kruskalWallis([[1, 2, 3], [3, 4], [5, 6, 6, 7]]);
    const h0 = (12 / 90) * (6.5 ** 2 / 3 + 8.5 ** 2 / 2 + 30 ** 2 / 4) - 30;
    expect(r.H).toBeCloseTo(h0 / (1 - 12 / 720), 12);
    expect(r.df).toBe(2);
    expect(r.p).toBeCloseTo(Math.exp(-r.H / 2), 13); // χ²(2) closed form
  });
  it('two groups: H equals z² of the uncorrected tie-corrected Mann–Whitney normal approximation', () => {
    const x = [3.1, 4, 4, 5.5, 7, 2];
    const y = [1, 2, 2, 3.3, 4, 0.5, 6];
    const h = kruskalWallis([x, y]).H;
    const z = mannWhitney(x, y, { exact: false, correct: false }).z as number;
    expect(h).toBeCloseTo(z * z, 12);
  });
});

describe('one-way ANOVA', () => {
  it('hand example: (1,2,3),(4,5,6),(7,8,9) → F = 27, df (2, 6), p = 0.001', () => {
    // means 2, 5, 8; grand 5; SSB = 3·(9 + 0 + 9) = 54; SSW = 2 + 2 + 2 = 6
    // F = (54/2)/(6/6) = 27; F(2, 6) tail = (1 + 2·27/6)^(−3) = 10⁻³
    const r = oneWayAnova([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(r.F).toBeCloseTo(27, 12);
    expect(r.df).toEqual([2, 6]);
    expect(r.p).toBeCloseTo(0.001, 14);
  });
  it('two groups: F is the square of the pooled two-sample t and shares its p', () => {
    const a = [5.1, 6.3, 4.8, 7.7, 6.0];
    const b = [3.2, 4.4, 5.0, 2.9, 4.1, 3.8];
    const m = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const ss = (x: number[]) => x.reduce((s, v) => s + (v - m(x)) ** 2, 0);
    const sp = (ss(a) + ss(b)) / (a.length + b.length - 2);
    const t = (m(a) - m(b)) / Math.sqrt(sp * (1 / a.length + 1 / b.length));
    const r = oneWayAnova([a, b]);
    expect(r.F).toBeCloseTo(t * t, 11);
    expect(r.p).toBeCloseTo(2 * tTail(Math.abs(t), 9), 12);
  });
  it('large offsets do not cancel (TIV in mm³)', () => {
    const r = oneWayAnova([[1e9 + 1, 1e9 + 2, 1e9 + 3], [1e9 + 4, 1e9 + 5, 1e9 + 6], [1e9 + 7, 1e9 + 8, 1e9 + 9]]);
    expect(r.F).toBeCloseTo(27, 6);
  });
});

describe('contingency tables', () => {
  it('Pearson χ² by hand: [[10, 20], [30, 40]]', () => {
    // margins 30/70 × 40/60, N = 100: E = 12, 18, 28, 42; every |O − E| = 2
    const chi = 4 / 12 + 4 / 18 + 4 / 28 + 4 / 42;
    const r = chiSquareTest([[10, 20], [30, 40]]);
    expect(r.chi2).toBeCloseTo(chi, 13);
    expect(r.df).toBe(1);
    expect(r.p).toBeCloseTo(erfc(Math.sqrt(chi / 2)), 13);
    // Yates: |O − E| − ½ = 1.5 everywhere
    const y = chiSquareTest([[10, 20], [30, 40]], { yates: true });
    expect(y.chi2).toBeCloseTo(2.25 * (1 / 12 + 1 / 18 + 1 / 28 + 1 / 42), 13);
  });
  it('Fisher 2×2: the tea-tasting table [[3,1],[1,3]] → p = 34/70', () => {
    // hypergeometric probabilities of a = 0…4: (1, 16, 36, 16, 1)/70; those ≤ 16/70 sum to 34/70
    expect(fisherExact([[3, 1], [1, 3]]).p).toBeCloseTo(34 / 70, 14);
    expect(fisherExact([[4, 0], [0, 4]]).p).toBeCloseTo(2 / 70, 14);
  });
  it('Fisher r×c equals the share of all label permutations giving a table at most as probable', () => {
    // plain twin: N individuals with fixed row labels; every permutation of the column labels
    // is equally likely under independence; count the tables they produce.
    const table = [[2, 0, 1], [0, 3, 1]];
    const rowLab: number[] = [];
    const colLab: number[] = [];
    table.forEach((r, i) => r.forEach((v, j) => {
      for (let k = 0; k < v; k++) {
        rowLab.push(i);
        colLab.push(j);
      }
    }));
    const N = rowLab.length;
    const freq = new Map<string, number>();
    let total = 0;
    const perm = colLab.slice();
    const heap = (k: number): void => {
      if (k === 1) {
        const t = [[0, 0, 0], [0, 0, 0]];
        for (let i = 0; i < N; i++) t[rowLab[i]][perm[i]]++;
        const key = JSON.stringify(t);
        freq.set(key, (freq.get(key) ?? 0) + 1);
        total++;
        return;
      }
      for (let i = 0; i < k; i++) {
        heap(k - 1);
        const j = k % 2 === 0 ? i : 0;
        [perm[j], perm[k - 1]] = [perm[k - 1], perm[j]];
      }
    };
    heap(N);
    const pObs = (freq.get(JSON.stringify(table)) as number) / total;
    let p = 0;
    for (const f of freq.values()) if (f / total <= pObs * (1 + 1e-7)) p += f / total;
    const r = fisherExact(table);
    expect(r.tables).toBe(freq.size);
    expect(r.p).toBeCloseTo(p, 13);
  });
  it('refuses an enumeration beyond its limit with a named error', () => {
    expectNamed(() => fisherExact([[20, 20, 20], [20, 20, 20], [20, 20, 20]], { maxTables: 1000 }), 'ExactTestTooLarge', { input: 'fisher', message: /χ² test/ });
  });
});

describe('average ranks', () => {
  it('ties share their mean position', () => {
    const r = averageRanks([10, 20, 10, 30, 20, 20]);
    expect(Array.from(r.ranks)).toEqual([1.5, 4, 1.5, 6, 4, 4]);
    expect(r.tieSum).toBe(6 + 24);
  });
});
