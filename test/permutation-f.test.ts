import { describe, expect, it } from 'vitest';
import { observe, poolBatches, runBatch } from '../shared/permutation/engine.ts';
import { batchesOf, permutationSetup, permutationTest, type GlmPermutationInput, type PermutationParams } from '../shared/permutation/inference.ts';
import { permutationModelF, permutedF, permuteScratch } from '../shared/permutation/model.ts';
import { summarise } from '../shared/permutation/summary.ts';
import { fContrastModel, fStatistic } from '../shared/stats/fcontrast.ts';
import { fToZ } from '../shared/stats/fdist.ts';
import { InvalidParameter } from '../shared/errors.ts';
import { mix32 } from '../shared/random.ts';

/** deterministic N(0,1)-ish numbers from (seed, k) */
function gauss(seed: number, k: number): number {
  const u1 = (mix32(seed * 7919 + 2 * k) + 0.5) / 4294967296;
  const u2 = (mix32(seed * 7919 + 2 * k + 1) + 0.5) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

const params = (over: Partial<PermutationParams> = {}): PermutationParams => ({
  n: 5000,
  seed: 11,
  statistics: ['maxT', 'clusterExtent', 'clusterMass', 'tfce'],
  twoTailed: true,
  clusterFormingP: 0.05,
  tfce: { H: 2, E: 0.5 },
  connectivity: 6,
  ...over,
});

/** three groups of sizes g (cell-means design), V voxels on a line, group 0 shifted at voxels 0–1 */
function threeGroups(g: number[], V: number, seed: number, covariate = false) {
  const n = g.reduce((a, b) => a + b, 0);
  const p = covariate ? 4 : 3;
  const M = new Float64Array(n * p);
  const label: number[] = [];
  let i = 0;
  g.forEach((size, grp) => {
    for (let s = 0; s < size; s++, i++) {
      M[i * p + grp] = 1;
      if (covariate) M[i * p + 3] = gauss(seed + 99, i);
      label.push(grp);
    }
  });
  const Y = new Float32Array(n * V);
  for (let s = 0; s < n; s++) for (let v = 0; v < V; v++) Y[s * V + v] = gauss(seed, s * V + v) + (label[s] === 0 && v < 2 ? 4 : 0) + (covariate ? 0.7 * M[s * p + 3]! : 0);
  const mask = new Uint8Array(V).fill(1);
  const rows = [Float64Array.from([1, -1, 0, 0].slice(0, p)), Float64Array.from([0, 1, -1, 0].slice(0, p))];
  const input: GlmPermutationInput = { M, n, p, contrast: rows[0]!, fRows: rows, kind: 'permute', Y, mask, dims: [V, 1, 1] };
  return { n, p, M, Y, V, label, rows, input };
}

/** one-way ANOVA F of y under group labels (the plain twin: between/within sums of squares) */
function anovaF(y: number[], label: number[], k: number): number {
  const n = y.length;
  const sum = new Array(k).fill(0);
  const cnt = new Array(k).fill(0);
  y.forEach((x, i) => {
    sum[label[i]!] += x;
    cnt[label[i]!]++;
  });
  const grand = y.reduce((a, b) => a + b, 0) / n;
  let ssb = 0;
  let ssw = 0;
  for (let c = 0; c < k; c++) ssb += cnt[c] * (sum[c] / cnt[c] - grand) ** 2;
  y.forEach((x, i) => (ssw += (x - sum[label[i]!] / cnt[label[i]!]) ** 2));
  return ssb / (k - 1) / (ssw / (n - k));
}

/** every distinct arrangement of a multiset of labels */
function arrangements(counts: number[]): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = () => {
    if (counts.every((c) => c === 0)) return void out.push([...cur]);
    counts.forEach((c, g) => {
      if (c === 0) return;
      counts[g]--;
      cur.push(g);
      rec();
      cur.pop();
      counts[g]++;
    });
  };
  rec();
  return out;
}

describe('permutation inference of F-contrasts (Freedman–Lane, one-sided)', () => {
  it('max-F FWE and uncorrected p equal brute force over all 1680 relabellings of a 3+3+3 design', () => {
    const { input, Y, V, n } = threeGroups([3, 3, 3], 5, 3);
    const out = permutationTest(input, params({ statistics: ['maxT'] }));
    expect(out.summary.permutations).toBe(1680);
    expect(out.summary.exhaustive).toBe(true);
    expect(out.setup.options.twoTailed).toBe(false);
    // plain twin: ANOVA F of the raw data under every relabelling of the group labels
    const col = (v: number) => Array.from({ length: n }, (_, s) => Y[s * V + v]!);
    const labelsAll = arrangements([3, 3, 3]);
    expect(labelsAll).toHaveLength(1680);
    const obsLabel = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    const fObs = Array.from({ length: V }, (_, v) => anovaF(col(v), obsLabel, 3));
    const maxF: number[] = [];
    const exceed = new Array(V).fill(0);
    for (const lab of labelsAll) {
      let mx = -Infinity;
      for (let v = 0; v < V; v++) {
        const f = anovaF(col(v), lab, 3);
        mx = Math.max(mx, f);
        if (f >= fObs[v]! * (1 - 1e-9)) exceed[v]++;
      }
      maxF.push(mx);
    }
    for (let v = 0; v < V; v++) {
      const fwe = maxF.filter((m) => m >= fObs[v]! * (1 - 1e-9)).length / 1680;
      expect(out.summary.fweP.maxT![v], `voxel ${v}`).toBeCloseTo(fwe, 12);
      expect(out.summary.uncorrectedP[v], `voxel ${v}`).toBeCloseTo(exceed[v]! / 1680, 12);
      expect(out.observed.t[v]).toBeCloseTo(fObs[v]!, 8);
      expect(out.observed.stat[v]).toBeCloseTo(fToZ(fObs[v]!, 2, n - 3), 8);
    }
    // the planted effect is found and its exact p is small
    expect(out.summary.fweP.maxT![0]).toBeLessThan(0.05);
  });

  it('the identity reproduces the observed ANCOVA F (fStatistic) and the scalar loop matches the SIMD kernel', () => {
    const { input, M, n, p, Y, V, rows } = threeGroups([5, 6, 5], 40, 8, true);
    const setup = permutationSetup(input, params());
    const obs = observe(setup);
    const fm = fContrastModel(M, n, p, rows);
    for (let v = 0; v < V; v++) {
      const y = Array.from({ length: n }, (_, s) => Y[s * V + v]!);
      const f = fStatistic(fm, y);
      expect(obs.t[v]! / f, `voxel ${v}`).toBeCloseTo(1, 9);
      expect(obs.stat[v]).toBeCloseTo(fToZ(f, 2, n - p), 7);
    }
    // a non-identity permutation: engine F vs F of P E refitted by the plain single-voxel form
    const model = permutationModelF(M, n, p, rows, Y, V);
    const perm = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % n);
    const fa = new Float64Array(V);
    const fb = new Float64Array(V);
    permutedF(model, perm, undefined, fa, permuteScratch(model));
    permutedF(model, perm, undefined, fb, permuteScratch(model), true);
    for (let v = 0; v < V; v++) {
      const e = Array.from({ length: n }, (_, s) => model.E[perm[s]! * V + v]!);
      expect(fa[v]! / fStatistic(fm, e)).toBeCloseTo(1, 9);
      expect(fb[v]! / fa[v]!).toBeCloseTo(1, 12);
    }
  });

  it('gives identical results for batch sizes 1, 7 and 64', () => {
    const { input } = threeGroups([4, 4, 5], 12, 5, true);
    const pr = params({ n: 150 });
    const setup = permutationSetup(input, pr);
    const observed = observe(setup);
    const N = setup.plan.count;
    const runs = [1, 7, 64].map((bs) => {
      const pooled = poolBatches(batchesOf(N, bs).map((b) => runBatch(setup, b.k0, b.k1, observed)), setup.lattice.V, N);
      return { pooled, summary: summarise(setup, observed, pooled) };
    });
    for (const r of runs.slice(1)) {
      expect(Array.from(r.pooled.maxStat)).toEqual(Array.from(runs[0]!.pooled.maxStat));
      expect(Array.from(r.pooled.maxMass)).toEqual(Array.from(runs[0]!.pooled.maxMass));
      expect(Array.from(r.pooled.maxTfce)).toEqual(Array.from(runs[0]!.pooled.maxTfce));
      expect(Array.from(r.summary.uncorrectedP)).toEqual(Array.from(runs[0]!.summary.uncorrectedP));
      for (const s of pr.statistics) expect(Array.from(r.summary.fweP[s]!)).toEqual(Array.from(runs[0]!.summary.fweP[s]!));
    }
    // the identity (permutation 0) is in the null: max over voxels of the observed z
    expect(runs[0]!.pooled.maxStat[0]).toBe(Math.max(...observed.stat));
  });

  it('an F with one row gives the p of the two-tailed t (max-F p = max-|t| p, uncorrected p alike)', () => {
    const { input } = threeGroups([5, 5, 6], 10, 21, true);
    const c = Float64Array.from([1, -1, 0, 0.5]);
    const pr = params({ n: 300, statistics: ['maxT'] });
    const tOut = permutationTest({ ...input, contrast: c, fRows: undefined }, pr);
    const fOut = permutationTest({ ...input, contrast: c, fRows: [c] }, pr);
    expect(fOut.summary.permutations).toBe(300);
    for (let v = 0; v < 10; v++) {
      expect(fOut.observed.t[v]! / tOut.observed.t[v]! ** 2).toBeCloseTo(1, 9);
      expect(fOut.summary.fweP.maxT![v]).toBe(tOut.summary.fweP.maxT![v]);
      expect(fOut.summary.uncorrectedP[v]).toBe(tOut.summary.uncorrectedP[v]);
    }
  });

  it('refuses sign flipping for an F of rank 2', () => {
    const { input } = threeGroups([3, 3, 3], 4, 2);
    expect(() => permutationSetup({ ...input, kind: 'flip' }, params({ n: 10 }))).toThrow(InvalidParameter);
  });
});
