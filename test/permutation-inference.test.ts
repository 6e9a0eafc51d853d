import { describe, expect, it } from 'vitest';
import { rng } from './helpers/rng.ts';
import { mapsVsMaps, oneSampleMaps, permutationTest, type PermutationParams } from '../shared/permutation/inference.ts';
import { smoothSpm } from '../shared/volume/smooth.ts';
import { InvalidParameter } from '../shared/errors.ts';


const base: PermutationParams = {
  n: 1000,
  seed: 1,
  statistics: ['maxT', 'clusterExtent', 'clusterMass', 'tfce'],
  twoTailed: true,
  clusterFormingP: 0.01,
  tfce: { H: 2, E: 0.5 },
  connectivity: 26,
};

/** plain two-sample pooled-variance t */
function t2(a: number[], b: number[]): number {
  const m = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = m(a);
  const mb = m(b);
  const ss = a.reduce((s, v) => s + (v - ma) ** 2, 0) + b.reduce((s, v) => s + (v - mb) ** 2, 0);
  const df = a.length + b.length - 2;
  return (ma - mb) / Math.sqrt((ss / df) * (1 / a.length + 1 / b.length));
}

function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push(acc.slice());
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

describe('exact p by enumeration', () => {
  const dims: [number, number, number] = [3, 2, 2];
  const V = 12;
  const mask = new Uint8Array(V).fill(1);

  it('two-sample 4 vs 4: every relabelling enumerated, p equal to a brute-force count', () => {
    const r = rng(8);
    const maps = Array.from({ length: 8 }, (_, i) => new Float32Array(V).map((_, v) => r.z() + (i < 4 && v < 4 ? 1.2 : 0)));
    const out = mapsVsMaps(maps.slice(0, 4), maps.slice(4), mask, dims, { ...base, statistics: ['maxT'] });
    expect(out.summary.exhaustive).toBe(true);
    expect(out.summary.permutations).toBe(70);
    // brute force: all 70 choices of group A
    const tOf = (group: number[], v: number) => {
      const a = group.map((i) => maps[i]![v]!);
      const b = [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => !group.includes(i)).map((i) => maps[i]![v]!);
      return t2(a, b);
    };
    const all = combinations(8, 4);
    const obs = Array.from({ length: V }, (_, v) => Math.abs(tOf([0, 1, 2, 3], v)));
    const maxNull = all.map((g) => Math.max(...Array.from({ length: V }, (_, v) => Math.abs(tOf(g, v)))));
    for (let v = 0; v < V; v++) {
      const unc = all.filter((g) => Math.abs(tOf(g, v)) >= obs[v]! * (1 - 1e-9)).length / 70;
      const fwe = maxNull.filter((m) => m >= obs[v]! * (1 - 1e-9)).length / 70;
      expect(out.summary.uncorrectedP[v]).toBeCloseTo(unc, 12);
      expect(out.summary.fweP.maxT![v]).toBeCloseTo(fwe, 12);
      expect(Math.abs(out.observed.t[v]!)).toBeCloseTo(obs[v]!, 5);
    }
    expect(Math.min(...out.summary.uncorrectedP)).toBeGreaterThanOrEqual(1 / 70);
  });

  it('one-sample n = 6: all 64 sign flips, p equal to a brute-force count', () => {
    const r = rng(21);
    const maps = Array.from({ length: 6 }, () => new Float32Array(V).map((_, v) => r.z() + (v % 3 === 0 ? 1 : 0)));
    const out = oneSampleMaps(maps, mask, dims, { ...base, statistics: ['maxT'], twoTailed: false });
    expect(out.summary.permutations).toBe(64);
    const tOf = (signs: number[], v: number) => {
      const x = maps.map((m, i) => signs[i]! * m[v]!);
      const mean = x.reduce((a, b) => a + b, 0) / 6;
      const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / 5);
      return mean / (sd / Math.sqrt(6));
    };
    const flips = Array.from({ length: 64 }, (_, k) => Array.from({ length: 6 }, (_, i) => ((k >> i) & 1 ? -1 : 1)));
    for (let v = 0; v < V; v++) {
      const obs = tOf([1, 1, 1, 1, 1, 1], v);
      const unc = flips.filter((s) => tOf(s, v) >= obs - 1e-9 * Math.abs(obs)).length / 64;
      expect(out.summary.uncorrectedP[v]).toBeCloseTo(unc, 12);
    }
  });
});

describe('batches', () => {
  it('give bit-identical results for any batch size', () => {
    const r = rng(4);
    const dims: [number, number, number] = [8, 8, 4];
    const V = 256;
    const mask = new Uint8Array(V).fill(1);
    const maps = Array.from({ length: 16 }, (_, i) => smoothSpm(new Float32Array(V).map(() => r.z() + (i < 8 ? 0.3 : 0)), dims, [2, 2, 2], 4));
    const runs = [1, 7, 64, 1000].map((batchSize) => mapsVsMaps(maps.slice(0, 8), maps.slice(8), mask, dims, { ...base, n: 200, batchSize }));
    const ref = runs[0]!.summary;
    expect(ref.exhaustive).toBe(false);
    for (const { summary } of runs.slice(1)) {
      expect(Array.from(summary.uncorrectedP)).toEqual(Array.from(ref.uncorrectedP));
      for (const s of base.statistics) expect(Array.from(summary.fweP[s]!)).toEqual(Array.from(ref.fweP[s]!));
      expect(summary.quantiles).toEqual(ref.quantiles);
    }
    // and a different seed gives a different null
    const other = mapsVsMaps(maps.slice(0, 8), maps.slice(8), mask, dims, { ...base, n: 200, seed: 2 });
    expect(other.summary.quantiles.tfce).not.toEqual(ref.quantiles.tfce);
  });
});

describe('bad parameters', () => {
  const dims: [number, number, number] = [2, 2, 1];
  const mask = new Uint8Array(4).fill(1);
  const maps = Array.from({ length: 4 }, (_, i) => new Float32Array(4).fill(i));
  it('are named errors', () => {
    expect(() => mapsVsMaps(maps.slice(0, 2), maps.slice(2), mask, dims, { ...base, n: 5_000_000 })).toThrow(/ceiling/);
    expect(() => mapsVsMaps(maps.slice(0, 2), maps.slice(2), mask, dims, { ...base, statistics: ['maxF' as never] })).toThrow(InvalidParameter);
    expect(() => mapsVsMaps(maps.slice(0, 2), maps.slice(2), mask, dims, { ...base, clusterFormingP: 1.5 })).toThrow(/\(0, 1\)/);
  });
});

/**
 * Family-wise error on pure noise: 200 independent null datasets (12×12×6 voxels,
 * smoothed noise, 10 + 10 subjects, one nuisance covariate), 100 permutations each.
 * A dataset makes a family-wise error when any voxel (any cluster) has FWE p ≤ 0.05.
 * The count must lie in the central 95% binomial interval of Bin(200, 0.05).
 */
describe('family-wise error rate on null data', () => {
  const dims: [number, number, number] = [12, 12, 6];
  const V = 12 * 12 * 6;
  const mask = new Uint8Array(V).fill(1);
  const nData = 200;
  const n = 20;

  function binomialInterval(N: number, p: number): [number, number] {
    const pmf = (k: number) => Math.exp(lgamma(N + 1) - lgamma(k + 1) - lgamma(N - k + 1) + k * Math.log(p) + (N - k) * Math.log(1 - p));
    let cdf = 0;
    let lo = 0;
    let hi = N;
    for (let k = 0; k <= N; k++) {
      const before = cdf;
      cdf += pmf(k);
      if (before < 0.025 && cdf >= 0.025) lo = k;
      if (before < 0.975 && cdf >= 0.975) {
        hi = k;
        break;
      }
    }
    return [lo, hi];
  }
  function lgamma(x: number): number {
    let s = 0;
    for (let i = 2; i < x; i++) s += Math.log(i);
    return s;
  }

  it('stays within the binomial 95% interval around 5% for max-T, cluster extent, cluster mass and TFCE', () => {
    const errors = { maxT: 0, clusterExtent: 0, clusterMass: 0, tfce: 0 };
    for (let d = 0; d < nData; d++) {
      const r = rng(1000 + d);
      const age = Array.from({ length: n }, () => 40 + 12 * r.z());
      const Y = new Float32Array(n * V);
      for (let i = 0; i < n; i++) {
        const img = smoothSpm(new Float32Array(V).map(() => r.z()), dims, [2, 2, 2], 5);
        for (let v = 0; v < V; v++) Y[i * V + v] = img[v]! + 0.02 * age[i]!;
      }
      const M = new Float64Array(n * 3);
      for (let i = 0; i < n; i++) {
        M[i * 3 + (i < n / 2 ? 0 : 1)] = 1;
        M[i * 3 + 2] = age[i]!;
      }
      const out = permutationTest({ M, n, p: 3, contrast: Float64Array.of(1, -1, 0), kind: 'permute', Y, mask, dims }, { ...base, n: 100, seed: d, clusterFormingP: 0.01 });
      for (const s of ['maxT', 'clusterExtent', 'clusterMass', 'tfce'] as const) {
        if (Math.min(...out.summary.fweP[s]!) <= 0.05) errors[s]++;
      }
    }
    const [lo, hi] = binomialInterval(nData, 0.05);
    console.log(`FWE on ${nData} null datasets (95% interval ${lo}–${hi}):`, errors);
    for (const [s, count] of Object.entries(errors)) {
      expect(count, s).toBeGreaterThanOrEqual(lo);
      expect(count, s).toBeLessThanOrEqual(hi);
    }
  }, 120_000);

  it('detects a planted broad effect more often with TFCE and cluster mass than with max-T', () => {
    const hits = { maxT: 0, clusterMass: 0, tfce: 0 };
    const nSets = 40;
    for (let d = 0; d < nSets; d++) {
      const r = rng(5000 + d);
      const Y = new Float32Array(n * V);
      for (let i = 0; i < n; i++) {
        const img = smoothSpm(new Float32Array(V).map(() => r.z()), dims, [2, 2, 2], 5);
        for (let v = 0; v < V; v++) {
          const x = v % 12;
          const y = Math.floor(v / 12) % 12;
          const inBlob = (x - 6) ** 2 + (y - 6) ** 2 <= 12;
          Y[i * V + v] = img[v]! + (i < n / 2 && inBlob ? 0.11 : 0);
        }
      }
      const M = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) M[i * 2 + (i < n / 2 ? 0 : 1)] = 1;
      const out = permutationTest({ M, n, p: 2, contrast: Float64Array.of(1, -1), kind: 'permute', Y, mask, dims }, { ...base, n: 100, seed: d, statistics: ['maxT', 'clusterMass', 'tfce'] });
      for (const s of ['maxT', 'clusterMass', 'tfce'] as const) if (Math.min(...out.summary.fweP[s]!) <= 0.05) hits[s]++;
    }
    console.log(`power on ${nSets} planted-effect datasets:`, hits);
    expect(hits.tfce).toBeGreaterThanOrEqual(hits.maxT + 3);
    expect(hits.clusterMass).toBeGreaterThanOrEqual(hits.maxT + 3);
  }, 60_000);
});
