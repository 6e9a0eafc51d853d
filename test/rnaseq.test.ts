import { describe, expect, it } from 'vitest';
import {
  deseqTwoGroup,
  digamma,
  dispersionLogPosterior,
  dispersionLogPosteriorSlope,
  fitNbGlm2,
  logGammaRatio,
  InvalidCounts,
  InvalidSampleGroups,
  medianOfRatios,
  parametricDispersionFit,
  parseCountTable,
  parseSampleTable,
  trigamma,
} from '../shared/rnaseq/index.ts';
import { gammaLn } from '../shared/stats/distributions.ts';
import { rng } from './helpers/rng.ts';

describe('median-of-ratios size factors by hand', () => {
  it('3 genes × 4 samples; the gene with a zero is excluded', () => {
    // g1 = [10,20,10,20]: geometric mean √200; ratios 1/√2, √2, 1/√2, √2
    // g2 = [6,8,3,10]: geometric mean 1440^¼; ratios 6/G, 8/G, 3/G, 10/G
    // g3 has a zero → not used. Median of two ratios = their mean.
    const counts = Float64Array.from([10, 20, 10, 20, 6, 8, 3, 10, 1, 2, 0, 5]);
    const sf = medianOfRatios(counts, 3, 4);
    const G = Math.pow(1440, 0.25);
    const r1 = [1 / Math.SQRT2, Math.SQRT2, 1 / Math.SQRT2, Math.SQRT2];
    const r2 = [6 / G, 8 / G, 3 / G, 10 / G];
    for (let j = 0; j < 4; j++) expect(sf[j]).toBeCloseTo(Math.exp((Math.log(r1[j]!) + Math.log(r2[j]!)) / 2), 14);
    expect(() => medianOfRatios(Float64Array.from([0, 1, 1, 0]), 2, 2)).toThrow(InvalidCounts);
  });
});

describe('special functions', () => {
  it('log Γ(k + r) − log Γ(r) equals the sum of logs, also for huge r (α → 0)', () => {
    for (const r of [0.05, 1, 37.5, 1e4, 1e8]) {
      for (const k of [1, 5, 9, 10, 11, 50, 200]) {
        let s = 0;
        for (let i = 0; i < k; i++) s += Math.log(r + i);
        expect(Math.abs(logGammaRatio(k, r) - s) / Math.max(1, Math.abs(s))).toBeLessThan(1e-13);
      }
    }
  });

  it('digamma and trigamma at known values', () => {
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 14);
    expect(digamma(0.5)).toBeCloseTo(-0.5772156649015329 - 2 * Math.LN2, 14);
    expect(trigamma(1)).toBeCloseTo((Math.PI * Math.PI) / 6, 14);
    // ψ₁(3.5) = π²/2 − 4(1 + 1/9 + 1/25)
    expect(trigamma(3.5)).toBeCloseTo((Math.PI * Math.PI) / 2 - 4 * (1 + 1 / 9 + 1 / 25), 13);
  });
});

/** Straightforward twin: full NB log-likelihood (lgamma) and explicit 2×2 XᵀWX determinant. */
function plainCrLogLik(alpha: number, k: number[], mu: number[], grp: number[]): number {
  const r = 1 / alpha;
  let ll = 0;
  const xtwx = [0, 0, 0, 0];
  for (let j = 0; j < k.length; j++) {
    const y = k[j]!;
    const m = mu[j]!;
    ll += gammaLn(y + r) - gammaLn(r) - gammaLn(y + 1) + r * Math.log(r / (r + m)) + y * Math.log(m / (r + m));
    const w = m / (1 + alpha * m);
    const x = [1, grp[j]!];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) xtwx[a * 2 + b] += x[a]! * w * x[b]!;
  }
  return ll - 0.5 * Math.log(xtwx[0]! * xtwx[3]! - xtwx[1]! * xtwx[2]!);
}

describe('Cox–Reid dispersion likelihood', () => {
  const k = [12, 30, 7, 18, 40, 55, 33];
  const grp = [0, 0, 0, 0, 1, 1, 1];
  const mu = [14, 25, 10, 17, 38, 50, 40];
  it('differences match a plain full-likelihood twin', () => {
    const base = dispersionLogPosterior(Math.log(0.1), k, mu, grp) - plainCrLogLik(0.1, k, mu, grp);
    for (const a of [0.01, 0.05, 0.3, 1, 4]) {
      const diff = dispersionLogPosterior(Math.log(a), k, mu, grp) - plainCrLogLik(a, k, mu, grp);
      expect(diff).toBeCloseTo(base, 9);
    }
  });
  it('slope matches a central difference, with and without prior', () => {
    const prior = { mean: Math.log(0.2), variance: 0.5 };
    for (const x of [-5, -2, -0.5, 1]) {
      for (const pr of [undefined, prior]) {
        const h = 1e-5;
        const num = (dispersionLogPosterior(x + h, k, mu, grp, pr) - dispersionLogPosterior(x - h, k, mu, grp, pr)) / (2 * h);
        expect(dispersionLogPosteriorSlope(x, k, mu, grp, pr)).toBeCloseTo(num, 6);
      }
    }
  });
});

describe('NB GLM Wald statistic against a per-group Newton twin', () => {
  // For X = [1, indicator] the MLE has one free mean per group: Σ_g (k − s q)/(1 + α s q) = 0,
  // Fisher information of log q_g: I_g = Σ_g μ/(1 + αμ); Var(β₁) = 1/I_A + 1/I_B.
  function twin(k: number[], s: number[], grp: number[], alpha: number) {
    const logq = [0, 1].map((g) => {
      let lq = Math.log(k.filter((_, j) => grp[j] === g).reduce((a, b) => a + b, 0) / s.filter((_, j) => grp[j] === g).reduce((a, b) => a + b, 0));
      for (let it = 0; it < 50; it++) {
        let score = 0;
        let info = 0;
        k.forEach((y, j) => {
          if (grp[j] !== g) return;
          const m = s[j]! * Math.exp(lq);
          score += (y - m) / (1 + alpha * m);
          info += m / (1 + alpha * m);
        });
        lq += score / info;
      }
      return lq;
    });
    const I = [0, 1].map((g) =>
      k.reduce((acc, _, j) => {
        if (grp[j] !== g) return acc;
        const m = s[j]! * Math.exp(logq[g]!);
        return acc + m / (1 + alpha * m);
      }, 0),
    );
    const lfc = (logq[1]! - logq[0]!) / Math.LN2;
    const se = Math.sqrt(1 / I[0]! + 1 / I[1]!) / Math.LN2;
    return { lfc, se, z: lfc / se };
  }
  it('matches on random cases (ridge 1e-6 only)', () => {
    const r = rng(5);
    for (let c = 0; c < 20; c++) {
      const n = 6 + Math.floor(r.u() * 6);
      const grp = Array.from({ length: n }, (_, j) => (j < n / 2 ? 0 : 1));
      const s = Array.from({ length: n }, () => 0.5 + r.u());
      const base = 5 + r.u() * 500;
      const fc = Math.exp(r.z());
      const k = s.map((sj, j) => Math.round(sj * base * (grp[j] ? fc : 1) * Math.exp(0.3 * r.z())));
      const alpha = 0.01 + r.u() * 0.5;
      const fit = fitNbGlm2(k, s, grp, alpha);
      const t = twin(k, s, grp, alpha);
      expect(fit.converged).toBe(true);
      // the ridge λ = 1e-6/ln²2 on both coefficients moves β by about λ·β/I (≤ 1e-5 here)
      expect(Math.abs(fit.beta[1] / Math.LN2 - t.lfc)).toBeLessThan(1e-5);
      expect(Math.abs(Math.sqrt(fit.variance[1]) / Math.LN2 - t.se) / t.se).toBeLessThan(1e-5);
    }
  });
  it('hand case: equal size factors within groups → LFC = log2 of the ratio of group means', () => {
    // control: s = 1, counts 10, 14, 12 (mean 12); patient: s = 2, counts 48, 40, 56 (mean 48 → 24 per unit size)
    const fit = fitNbGlm2([10, 14, 12, 48, 40, 56], [1, 1, 1, 2, 2, 2], [0, 0, 0, 1, 1, 1], 0.05);
    expect(fit.beta[1] / Math.LN2).toBeCloseTo(Math.log2(24 / 12), 6);
    expect(fit.beta[0]).toBeCloseTo(Math.log(12), 6);
    // I_A = 3·12/(1 + 0.05·12) = 22.5; I_B = 3·48/(1 + 0.05·48) = 42.352941…
    const se = Math.sqrt(1 / 22.5 + 1 / (144 / 3.4)) / Math.LN2;
    expect(Math.sqrt(fit.variance[1]) / Math.LN2).toBeCloseTo(se, 6);
  });
});

describe('parametric dispersion trend', () => {
  it('recovers a0 + a1/mean from noise-free values', () => {
    const means = Array.from({ length: 50 }, (_, i) => Math.exp(0.2 * i));
    const disps = means.map((m) => 0.05 + 2 / m);
    const fit = parametricDispersionFit(means, disps)!;
    expect(fit.asymptDisp).toBeCloseTo(0.05, 9);
    expect(fit.extraPois).toBeCloseTo(2, 8);
  });
});

describe('tables and named errors', () => {
  it('parses counts and sample groups (CSV and TSV)', () => {
    const t = parseCountTable('gene\tA\tB\nG1\t1\t2\nG2\t0\t5\n', 'c.tsv');
    expect(t.genes).toEqual(['G1', 'G2']);
    expect(t.samples).toEqual(['A', 'B']);
    expect(Array.from(t.counts)).toEqual([1, 2, 0, 5]);
    const s = parseSampleTable('Sample,Group\nA,hc\n"B",dre\n', 's.csv');
    expect([...s]).toEqual([
      ['A', 'hc'],
      ['B', 'dre'],
    ]);
  });
  it('negative or non-integer counts name the row and column', () => {
    expect(() => parseCountTable('gene,A,B\nG1,1,2\nG2,-3,5\n', 'c.csv')).toThrow(/c\.csv row 3, column 2: negative count/);
    expect(() => parseCountTable('gene,A,B\nG1,1,2.5\n', 'c.csv')).toThrow(/row 2, column 3: count is not an integer/);
    expect(() => parseCountTable('gene,A,B\nG1,1,x\n', 'c.csv')).toThrow(/row 2, column 3: count is not a number/);
    expect(() => parseCountTable('gene,A,B\nG1,1\n', 'c.csv')).toThrow(/row 2: 2 fields/);
    try {
      parseCountTable('gene,A,B\nG1,1,-1\n', 'c.csv');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidCounts);
      expect((e as InvalidCounts).name).toBe('InvalidCounts');
    }
  });
  it('notes say where a run departs from DESeq2 (small designs, left-out groups)', () => {
    const r = rng(11);
    const lines = ['gene,A,B,C,D,E'];
    for (let i = 0; i < 60; i++) lines.push(`G${i},${[0, 1, 2, 3, 4].map(() => 5 + Math.floor(r.u() * 200)).join(',')}`);
    const t = parseCountTable(lines.join('\n'), 'c.csv');
    const res = deseqTwoGroup(t, ['hc', 'hc', 'dre', 'dre', 'other'], { test: 'dre', reference: 'hc' });
    expect(res.samples).toEqual(['A', 'B', 'C', 'D']);
    expect(res.notes.some((n) => /m − p = 2 ≤ 3/.test(n))).toBe(true);
    expect(res.notes.some((n) => /1 sample\(s\) of other groups left out/.test(n))).toBe(true);
  });
  it('groups with fewer than 2 samples are refused', () => {
    const t = parseCountTable('gene,A,B,C,D\nG1,1,2,3,4\nG2,5,6,7,9\n', 'c.csv');
    expect(() => deseqTwoGroup(t, ['hc', 'hc', 'hc', 'dre'], { test: 'dre', reference: 'hc' })).toThrow(InvalidSampleGroups);
    expect(() => deseqTwoGroup(t, ['hc', 'hc', 'hc', 'dre'], { test: 'dre', reference: 'hc' })).toThrow(/test group has 1/);
    expect(() => deseqTwoGroup(t, ['hc', 'hc', 'x', 'x'], { test: 'dre', reference: 'hc' })).toThrow(/test group has 0/);
  });
});
