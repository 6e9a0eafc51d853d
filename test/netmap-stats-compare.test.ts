import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../shared/nifti/index.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';
import { stream } from '../shared/random.ts';
import { atlasLabelStats, atlasMaskExact, atlasMaskMean, atlasMaskTest, atlasNullValues } from '../shared/netmap/atlas-mask-null.ts';
import { EEG_SPHERE_DIAMETER_MM, eegElectrodeValues } from '../shared/netmap/eeg-spheres.ts';
import { binaryMask } from '../shared/netmap/map-grid.ts';
import { findPeak, localMaxima } from '../shared/netmap/peaks.ts';
import { parsePointTable } from '../shared/netmap/point-table.ts';
import { spatialCorrelation } from '../shared/netmap/spatial-correlation.ts';
import { sphereRoiWelch } from '../shared/netmap/sphere-means.ts';
import { welchTTest } from '../shared/netmap/welch-t-test.ts';

import { expectNamed } from './helpers/errors.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const FIX = `${FIXTURES}/network`;
const load = (f: string) => readNifti(new Uint8Array(readFileSync(`${FIX}/${f}`)), f);
const gridOf = (h: { dims: number[]; affine: Float64Array }) => ({ dims: [h.dims[0]!, h.dims[1]!, h.dims[2]!] as [number, number, number], affine: h.affine });

/** Plain two-pass Pearson (means first, then centred sums). */
function twoPassPearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Rank by definition: #smaller + (#equal + 1)/2, O(n²). */
function bruteRanks(x: number[]): number[] {
  return x.map((v) => x.filter((w) => w < v).length + (x.filter((w) => w === v).length + 1) / 2);
}

describe('spatial correlation', () => {
  const V = 2000;
  const rng = stream(7, 0);
  const a = Float32Array.from({ length: V }, () => rng.normal() + 100);
  const b = Float32Array.from(a, (x) => 0.3 * x + rng.normal());
  const mask = Uint8Array.from({ length: V }, (_, v) => (v % 3 === 0 ? 0 : 1));
  a[5] = NaN; // skipped
  b[7] = Infinity; // skipped

  it('Pearson equals a plain two-pass implementation over the mask', () => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let v = 0; v < V; v++) if (mask[v] && Number.isFinite(a[v]!) && Number.isFinite(b[v]!)) {
      xs.push(a[v]!);
      ys.push(b[v]!);
    }
    const ref = twoPassPearson(xs, ys);
    const got = spatialCorrelation(a, b, { mask });
    expect(got.n).toBe(xs.length);
    expect(got.n).toBe(1331); // 2000 − 667 multiples of 3 = 1333 in the mask, minus voxels 5 and 7
    expect(Math.abs(got.r - ref)).toBeLessThan(1e-12);
    expect(got.r).toBeGreaterThan(0.1);
  });

  it('closed forms: ±1 for linear maps, NaN for a constant map, scipy values for a small case', () => {
    const x = Float32Array.from({ length: 50 }, (_, i) => (i * 7) % 13);
    const up = Float32Array.from(x, (v) => 2 * v + 3);
    const down = Float32Array.from(x, (v) => -0.5 * v + 1);
    expect(spatialCorrelation(x, up).r).toBeCloseTo(1, 12);
    expect(spatialCorrelation(x, down).r).toBeCloseTo(-1, 12);
    expect(spatialCorrelation(x, new Float32Array(50).fill(4)).r).toBeNaN();
    expect(spatialCorrelation(x, up, { mask: Uint8Array.from({ length: 50 }, (_, i) => (i === 3 ? 1 : 0)) }).r).toBeNaN();
    // scipy 1.17: pearsonr / spearmanr([1,2,3,4,5,6], [5,6,7,8,7,1])
    const p = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const q = Float32Array.from([5, 6, 7, 8, 7, 1]);
    expect(spatialCorrelation(p, q).r).toBeCloseTo(-0.34163917402423793, 12);
    expect(spatialCorrelation(p, q, { method: 'spearman' }).r).toBeCloseTo(0.028988551782622423, 12);
  });

  it('Spearman equals Pearson of brute-force average ranks; 1 for a monotone transform', () => {
    const n = 300;
    const r2 = stream(9, 1);
    const x = Float32Array.from({ length: n }, () => Math.round(r2.normal() * 3)); // many ties
    const y = Float32Array.from(x, (v) => v + Math.round(r2.normal() * 2));
    const ref = twoPassPearson(bruteRanks(Array.from(x)), bruteRanks(Array.from(y)));
    expect(Math.abs(spatialCorrelation(x, y, { method: 'spearman' }).r - ref)).toBeLessThan(1e-12);
    const z = Float32Array.from({ length: n }, () => r2.normal());
    expect(spatialCorrelation(z, Float32Array.from(z, Math.exp), { method: 'spearman' }).r).toBeCloseTo(1, 12);
  });

  it('named errors', () => {
    expectNamed(() => spatialCorrelation(new Float32Array(3), new Float32Array(4)), 'SpaceMismatch');
    expectNamed(() => spatialCorrelation(new Float32Array(3), new Float32Array(3), { mask: new Uint8Array(3) }), 'EmptyData');
    expectNamed(() => spatialCorrelation(new Float32Array(3), new Float32Array(3), { mask: new Uint8Array(2) }), 'SpaceMismatch');
    expectNamed(() => spatialCorrelation(new Float32Array(3), new Float32Array(3), { method: 'kendall' as never }), 'InvalidParameter');
  });
});

describe('peaks', () => {
  const grid = { dims: [4, 3, 2] as [number, number, number], affine: Float64Array.from([-2, 0, 0, 10, 0, 2, 0, -5, 0, 0, 2, 1, 0, 0, 0, 1]) };
  const map = new Float32Array(24);
  map[1] = 5;
  map[13] = 5; // tie with voxel 1
  map[22] = 9; // masked out below
  map[6] = NaN;
  map[20] = -7;
  const mask = Uint8Array.from({ length: 24 }, (_, v) => (v === 22 ? 0 : 1));

  it('reports the maximum with all tied voxels in index order and their mm', () => {
    const p = findPeak(map, grid, { mask });
    expect(p.value).toBe(5);
    expect(p.voxels.map((v) => v.index)).toEqual([1, 13]);
    expect(p.voxels[1]!.ijk).toEqual([1, 0, 1]);
    expect(p.voxels[1]!.mm).toEqual([8, -5, 3]);
    expect(findPeak(map, grid).voxels.map((v) => v.index)).toEqual([22]);
    const m = findPeak(map, grid, { mode: 'min' });
    expect(m.value).toBe(-7);
    expect(m.voxels.map((v) => v.index)).toEqual([20]);
    expectNamed(() => findPeak(map, grid, { mask: new Uint8Array(24) }), 'EmptyData');
    expectNamed(() => findPeak(new Float32Array(5), grid), 'SpaceMismatch');
  });

  it('local maxima: two blobs, minimum distance suppresses the neighbour of the top peak', () => {
    const g = { dims: [20, 20, 20] as [number, number, number], affine: Float64Array.from([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]) };
    const m = new Float32Array(8000);
    const blob = (ci: number, cj: number, ck: number, h: number) => {
      for (let k = 0; k < 20; k++) for (let j = 0; j < 20; j++) for (let i = 0; i < 20; i++) {
        m[i + 20 * (j + 20 * k)] += h * Math.exp(-((i - ci) ** 2 + (j - cj) ** 2 + (k - ck) ** 2) / 4);
      }
    };
    blob(5, 5, 5, 10);
    blob(14, 12, 10, 6);
    m[5 + 20 * (5 + 20 * 7)] = 9.9; // a spike 4 mm above the top peak: a local max of its own
    const all = localMaxima(m, g, { k: 5, minValue: 1 });
    expect(all.map((p) => p.ijk)).toEqual([[5, 5, 5], [5, 5, 7], [14, 12, 10]]);
    expect(all[0]!.value).toBeCloseTo(10, 5);
    const far = localMaxima(m, g, { k: 5, minValue: 1, minDistanceMm: 8 });
    expect(far.map((p) => p.ijk)).toEqual([[5, 5, 5], [14, 12, 10]]);
    expect(localMaxima(m, g, { k: 1 }).length).toBe(1);
    expectNamed(() => localMaxima(m, g, { k: 0 }), 'InvalidParameter');
    expectNamed(() => localMaxima(m, g, { minDistanceMm: -1 }), 'InvalidParameter');
  });

  it('IGE fixture: peak inside the brain mask matches a brute-force scan', () => {
    const ige = load('IGEnetwork.nii');
    const brain = binaryMask(load('BrainMask618361_BH.nii').data);
    const grid = gridOf(ige.header);
    const p = findPeak(ige.data, grid, { mask: brain });
    let best = -Infinity;
    const at: number[] = [];
    for (let v = 0; v < ige.data.length; v++) {
      if (!brain[v]) continue;
      if (ige.data[v]! > best) {
        best = ige.data[v]!;
        at.length = 0;
      }
      if (ige.data[v] === best) at.push(v);
    }
    expect(p.value).toBe(best);
    expect(p.voxels.map((v) => v.index)).toEqual(at);
    const [i, j, k] = p.voxels[0]!.ijk;
    expect(p.voxels[0]!.mm).toEqual([90 - 3 * i, -126 + 3 * j, -72 + 3 * k]);
    const neg = findPeak(ige.data, grid, { mask: brain, mode: 'min' });
    console.log(`IGE peak +${(p.value * 21).toFixed(3)}/21 at ${p.voxels.length} voxel(s), first ${p.voxels.slice(0, 5).map((v) => `(${v.mm.join(',')})`).join(' ')}; ` +
      `min ${(neg.value * 21).toFixed(3)}/21 at ${neg.voxels.length} voxel(s), first ${neg.voxels.slice(0, 5).map((v) => `(${v.mm.join(',')})`).join(' ')}`);
  });
});

describe('atlas-mask statistic and its null', () => {
  // tiny atlas: 5 labels (2, 3, 5, 8, 9) on 40 voxels; map values drawn once
  const V = 40;
  const labelOf = [2, 3, 5, 8, 9];
  const atlas = Float32Array.from({ length: V }, (_, v) => (v % 7 === 0 ? 0 : labelOf[v % 5]!));
  const rng = stream(3, 0);
  const map = Float32Array.from({ length: V }, (_, v) => (v % 5) * 0.1 + rng.next() * 0.2);
  const stats = atlasLabelStats(map, atlas);
  const meanBrute = (set: number[]) => {
    let s = 0;
    let n = 0;
    for (let v = 0; v < V; v++) if (set.includes(atlas[v]!)) {
      s += map[v]!;
      n++;
    }
    return (100 * s) / n;
  };

  it('mean ×100 over the label set equals a direct voxel loop', () => {
    expect(Array.from(stats.labels)).toEqual(labelOf);
    expect(Math.abs(atlasMaskMean(stats, [8, 3]) - meanBrute([3, 8]))).toBeLessThan(1e-10);
  });

  it('exact p by enumerating all label subsets; Monte Carlo p converges to it', () => {
    const obs = [8, 9];
    const observed = meanBrute(obs);
    // all 10 pairs of 5 labels, written plainly
    let hits = 0;
    let total = 0;
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) {
      total++;
      if (meanBrute([labelOf[i]!, labelOf[j]!]) >= observed - 1e-9) hits++;
    }
    expect(total).toBe(10);
    const exact = atlasMaskExact(stats, obs);
    expect(exact.nSubsets).toBe(10);
    expect(exact.p).toBe(hits / total);
    expect(exact.p).toBe(0.1); // {8,9} holds the two largest offsets: only itself reaches it
    const mc = atlasMaskTest(stats, obs, { nNull: 20000, seed: 11 });
    // (1 + hits)/(1 + n) with hits ~ Binomial(n, 0.1): SE of p ≈ 0.0021
    expect(Math.abs(mc.p - exact.p)).toBeLessThan(0.0085);
    // every subset is drawn about equally often (each 1/10): check the frequencies of the 10 distinct values
    const freq = new Map<number, number>();
    for (const x of mc.null) freq.set(x, (freq.get(x) ?? 0) + 1);
    expect(freq.size).toBe(10);
    for (const c of freq.values()) expect(Math.abs(c - 2000)).toBeLessThan(4 * Math.sqrt(20000 * 0.1 * 0.9));
    expect(freq.get(mc.observed)).toBeGreaterThan(0); // the observed set drawn gives exactly the observed value
    const low = atlasMaskExact(stats, obs, 'less');
    expect(low.p).toBe(1);
  });

  it('draw k is a pure function of (seed, k): any split gives the same null', () => {
    const whole = atlasNullValues(stats, 3, 42, 0, 100);
    const parts = [...atlasNullValues(stats, 3, 42, 0, 37), ...atlasNullValues(stats, 3, 42, 37, 63)];
    expect(Array.from(whole)).toEqual(parts);
    expect(Array.from(atlasNullValues(stats, 3, 42, 0, 100))).toEqual(Array.from(whole));
    expect(Array.from(atlasNullValues(stats, 3, 43, 0, 100))).not.toEqual(Array.from(whole));
  });

  it('named errors', () => {
    expectNamed(() => atlasMaskMean(stats, []), 'EmptyData');
    expectNamed(() => atlasMaskMean(stats, [4]), 'InvalidParameter');
    expectNamed(() => atlasMaskMean(stats, [2, 2]), 'InvalidParameter');
    expectNamed(() => atlasNullValues(stats, 6, 1, 0, 10), 'InvalidParameter');
    expectNamed(() => atlasMaskTest(stats, [2], { nNull: 0, seed: 1 }), 'InvalidParameter');
    expectNamed(() => atlasLabelStats(map, new Float32Array(3)), 'SpaceMismatch');
    expectNamed(() => atlasLabelStats(map, new Float32Array(V).fill(1.5)), 'InvalidParameter');
  });

  it('IGE × AAL: thalamus (77, 78) against 1000 random pairs of AAL labels', () => {
    const ige = load('IGEnetwork.nii');
    const aal = load('AAL_618361.nii');
    const s = atlasLabelStats(ige.data, aal.data);
    expect(s.labels.length).toBe(116);
    const t = atlasMaskTest(s, [77, 78], { nNull: 1000, seed: 1 });
    expect(Number.isFinite(t.observed)).toBe(true);
    expect(t.p).toBeGreaterThan(0);
    expect(t.p).toBeLessThanOrEqual(1);
    console.log(`IGE mean ×100 in AAL thalamus (77,78) = ${t.observed.toFixed(3)}; null of 1000 random label pairs: p = ${t.p.toFixed(4)}`);
  });

  it('IGE × Yeo 7 networks: every single network against the other 6 (exact, 7 subsets)', () => {
    const ige = load('IGEnetwork.nii');
    const yeo = load('Yeo2011_7Nets_618361.nii');
    const s = atlasLabelStats(ige.data, yeo.data);
    expect(Array.from(s.labels)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const rows = [1, 2, 3, 4, 5, 6, 7].map((l) => ({ l, ...atlasMaskExact(s, [l]) }));
    const ranks = rows.map((r) => Math.round(r.p * 7));
    expect([...ranks].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]); // distinct means: p = rank/7
    console.log('IGE mean ×100 per Yeo network (1 visual … 7 default, assumed order): ' +
      rows.map((r) => `${r.l}: ${r.observed.toFixed(2)} (p=${r.p.toFixed(3)})`).join('; '));
  });
});

describe('Welch t-test', () => {
  // Welch's t-test textbook examples (as on Wikipedia "Welch's t-test"); reference numbers from
  // scipy 1.17: stats.ttest_ind(a, b, equal_var=False) → statistic, pvalue, df
  it('example 1: t = −2.4554, df = 24.99, p = 0.0214', () => {
    const a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    const b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const r = welchTTest(a, b);
    expect(r.t).toBeCloseTo(-2.455356398286006, 10);
    expect(r.df).toBeCloseTo(24.988529290231416, 9);
    expect(Math.abs(r.p - 0.021378001462866992) / 0.021378001462866992).toBeLessThan(1e-8);
  });
  it('example 2 (unequal sizes 10 vs 20): t = −1.5654, df = 9.905, p = 0.1488', () => {
    const a = [17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8];
    const b = [21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5, 23.6, 21.5, 22.5, 23.5, 21.5, 21.8];
    const r = welchTTest(a, b);
    expect(r.t).toBeCloseTo(-1.5654335235985037, 10);
    expect(r.df).toBeCloseTo(9.904741248650831, 9);
    expect(Math.abs(r.p - 0.14884169660532817) / 0.14884169660532817).toBeLessThan(1e-8);
    // hand check of the formula pieces
    expect(r.meanA).toBeCloseTo(20.61, 10);
    expect(r.nB).toBe(20);
  });
  it('sphere-ROI Welch: spheres on a synthetic map give the hand-known group values', () => {
    // 3 mm grid of the fixtures; map = 1 for x < 0 (left), 3 for x ≥ 0, spheres of radius 3 mm (7 voxels)
    const grid = { dims: [61, 83, 61] as [number, number, number], affine: Float64Array.from([-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1]) };
    const map = new Float32Array(61 * 83 * 61);
    for (let v = 0; v < map.length; v++) map[v] = 90 - 3 * (v % 61) < 0 ? 1 + (((v / 61) | 0) % 83) % 2 : 3; // left: 1 or 2 by parity of j
    const pt = (label: string, x: number, y: number, z: number) => ({ label, mm: [x, y, z] as [number, number, number] });
    const A = [pt('a1', -30, 0, 0), pt('a2', -60, 3, 0), pt('a3', -45, 30, 9)];
    const B = [pt('b1', 30, 0, 0), pt('b2', 60, 0, 0)];
    const r = sphereRoiWelch(map, grid, A, B, 3);
    // each left sphere: the centre row j and its ±1 neighbours alternate 1/2 along y: 7 voxels,
    // centre voxel and 4 in-plane (i±1, k±1) share j, j±1 give the two others
    const left = A.map((p) => {
      const j = (p.mm[1] + 126) / 3;
      const c = 1 + (j % 2);
      const o = 1 + ((j + 1) % 2);
      return (5 * c + 2 * o) / 7;
    });
    expect(r.a.map((x) => x.mean).map((x) => x.toFixed(12))).toEqual(left.map((x) => x.toFixed(12)));
    expect(r.b.map((x) => x.mean)).toEqual([3, 3]);
    expect(r.a.every((x) => x.nVoxels === 7)).toBe(true);
    // group B is constant: all variance from A, df = nA − 1 = 2
    expect(r.test.df).toBeCloseTo(2, 12);
    expect(r.test.t).toBeLessThan(0);
    const off = [pt('far', 500, 0, 0)];
    expectNamed(() => sphereRoiWelch(map, grid, A, off, 3), 'InvalidParameter');
  });
  it('constant groups give NaN; too few or non-finite values are refused', () => {
    expect(welchTTest([1, 1], [2, 2]).t).toBeNaN();
    expect(welchTTest([1, 1, 1], [2, 3]).df).toBeCloseTo(1, 12); // all variance from B: df = nB − 1
    expectNamed(() => welchTTest([1], [2, 3]), 'InvalidParameter');
    expectNamed(() => welchTTest([1, NaN], [2, 3]), 'InvalidParameter');
  });
});

describe('EEG 10–20 electrode spheres', () => {
  it('the study\'s spheres are 25 mm across: default diameter 25 mm = radius 12.5 mm', () => {
    expect(EEG_SPHERE_DIAMETER_MM).toBe(25);
  });
  for (const diameter of [undefined, 25, 50]) {
    it(`IGE fixture: 19 electrodes, ${diameter ?? 'default (25)'} mm-diameter spheres in the brain mask equal a brute-force sphere of radius ${(diameter ?? 25) / 2} mm`, () => {
      const ige = load('IGEnetwork.nii');
      const brain = binaryMask(load('BrainMask618361_BH.nii').data);
      const csv = readFileSync(`${FIX}/eeg_1020_mni.csv`, 'utf8');
      const grid = gridOf(ige.header);
      const rows = diameter === undefined ? eegElectrodeValues(ige.data, grid, csv, brain) : eegElectrodeValues(ige.data, grid, csv, brain, diameter);
      expect(rows.length).toBe(19);
      expect(rows.map((r) => r.label).slice(0, 3)).toEqual(['Fp1', 'Fp2', 'Fz']);
      const r2 = ((diameter ?? 25) / 2) ** 2;
      // brute force for every electrode: each voxel whose centre is within the radius and inside the brain
      for (const row of rows) {
        let s = 0;
        let n = 0;
        for (let k = 0; k < 61; k++) for (let j = 0; j < 83; j++) for (let i = 0; i < 61; i++) {
          const v = i + 61 * (j + 83 * k);
          if (!brain[v]) continue;
          const [x, y, z] = voxelToMm(ige.header.affine, i, j, k);
          if ((x - row.mm[0]) ** 2 + (y - row.mm[1]) ** 2 + (z - row.mm[2]) ** 2 <= r2) {
            s += ige.data[v]!;
            n++;
          }
        }
        expect(n).toBeGreaterThan(20);
        expect(row.nVoxels).toBe(n);
        expect(Math.abs(row.mean - s / n)).toBeLessThan(1e-12);
      }
      if (diameter === undefined) {
        console.log('EEG 10–20 electrode values (IGE map, 25 mm-diameter spheres ∩ brain mask):\n' +
          rows.map((r) => `${r.label.padEnd(4)} (${r.mm.join(', ')})  n=${r.nVoxels}  mean=${r.mean.toFixed(4)}  (${(r.mean * 21).toFixed(2)}/21)`).join('\n'));
      }
    });
  }
  it('refuses a non-positive diameter', () => {
    const g = { dims: [2, 2, 2] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
    expectNamed(() => eegElectrodeValues(new Float32Array(8), g, 'label,x,y,z\nA,0,0,0', new Uint8Array(8).fill(1), 0), 'InvalidParameter');
  });
  it('bad tables give InvalidCoordinates', () => {
    expectNamed(() => parsePointTable('label,x,y\nA,1,2', 'e.csv'), 'InvalidCoordinates');
    expectNamed(() => parsePointTable('label,x,y,z\nA,1,2,abc', 'e.csv'), 'InvalidCoordinates');
    expectNamed(() => parsePointTable('label,x,y,z\nA,1,2,3\nA,1,2,3', 'e.csv'), 'InvalidCoordinates');
    expectNamed(() => parsePointTable('', 'e.csv'), 'InvalidCoordinates');
    expect(parsePointTable('# comment\nz,y,x,label\n3,2,1,A\n')).toEqual([{ label: 'A', mm: [1, 2, 3] }]);
  });
});
