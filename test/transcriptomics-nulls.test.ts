import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stream } from '../shared/random.ts';
import { pearson, spearman, spinCorrelation } from '../shared/transcriptomics/correlate.ts';
import { BOOT_CHUNK, PlsNullModel, bootstrapZ, nthPermutation, randomPermutation, upperTailP } from '../shared/transcriptomics/nulls.ts';
import { fitPls1 } from '../shared/transcriptomics/pls.ts';
import {
  assignHungarian,
  assignOriginal,
  assignVasa,
  det3,
  generateSpins,
  mirrorRotation,
  randomRotation,
  resolveSpins,
  spinCandidate,
  spinGeometry,
  spinResample,
} from '../shared/transcriptomics/spin.ts';
import { parseCentroids, parseExpression, parseRegionValues } from '../shared/transcriptomics/tables.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const TX = join(FIXTURES, 'transcriptomics');
const read = (...p: string[]) => readFileSync(join(TX, ...p), 'utf8');

function developmentData(prefix: RegExp = /^L_/) {
  const expr = parseExpression(read('ahba', 'enigma-extra_allgenes_stable_r0.6.csv'), 'expression');
  const map = parseRegionValues(read('maps', 'enigma_scz_case-controls_CortThick.csv'), 'map', 'Structure', 'd_icv');
  const cents = parseCentroids(read('surface', 'dk68_fsa5_sphere_centroids.csv'), 'centroids', ['x_surface', 'y_surface', 'z_surface']);
  const rows = expr.regions.map((r, i) => [r, i] as const).filter(([r]) => prefix.test(r));
  const p = expr.genes.length;
  const n = rows.length;
  const X = new Float64Array(n * p);
  const y = new Float64Array(n);
  const coords = new Float64Array(3 * n);
  const hemi = new Int32Array(n);
  rows.forEach(([r, i], k) => {
    X.set(expr.values.subarray(i * p, (i + 1) * p), k * p);
    y[k] = map.get(r)!;
    const c = cents.get(r)!;
    coords.set(c.xyz, 3 * k);
    hemi[k] = c.hemi;
  });
  return { X, y, n, p, coords, hemi, labels: rows.map(([r]) => r) };
}

function isPermutation(a: ArrayLike<number>): boolean {
  const s = new Set(Array.from(a));
  return s.size === a.length && Array.from(a).every((v) => v >= 0 && v < a.length);
}

function matMul3(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const o = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) o[r * 3 + c]! += a[r * 3 + k]! * b[k * 3 + c]!;
  return o;
}

/** Plain twin of Váša's assignment: the O(m³) loop over the full matrix (rows and columns blanked as used). */
function plainVasa(d0: Float64Array, m: number): Int32Array {
  const d = Array.from({ length: m }, (_, i) => Array.from(d0.subarray(i * m, (i + 1) * m)));
  const col = new Int32Array(m);
  for (let s = 0; s < m; s++) {
    let row = -1;
    let best = -Infinity;
    for (let i = 0; i < m; i++) {
      const mn = Math.min(...d[i]!);
      if (mn > best) {
        best = mn;
        row = i;
      }
    }
    const r = d[row]!;
    const c = r.indexOf(Math.min(...r));
    col[row] = c;
    d[row] = new Array(m).fill(-Infinity);
    for (const rr of d) rr[c] = Infinity;
    d[row] = new Array(m).fill(-Infinity);
  }
  return col;
}

function randomDist(m: number, seed: number): Float64Array {
  const rng = stream(seed, 0);
  return Float64Array.from({ length: m * m }, () => rng.next());
}

describe('rotations', () => {
  it('are rotations (orthonormal, det +1), the mirror rule holds, and they average to 0 (Haar)', () => {
    const mean = new Float64Array(9);
    const N = 4000;
    for (let k = 0; k < N; k++) {
      const q = randomRotation(stream(7, k));
      const qtq = matMul3([q[0]!, q[3]!, q[6]!, q[1]!, q[4]!, q[7]!, q[2]!, q[5]!, q[8]!], q);
      qtq.forEach((v, i) => expect(v).toBeCloseTo(i % 4 === 0 ? 1 : 0, 12));
      expect(det3(q)).toBeCloseTo(1, 12);
      const r = mirrorRotation(q);
      expect(det3(r)).toBeCloseTo(1, 12);
      // mirroring a point, rotating by F·Q·F = rotating by Q, then mirroring: (cF)(FQF) = (cQ)F
      const c = [0.3, -0.5, 0.8];
      const F = [-1, 0, 0, 0, 1, 0, 0, 0, 1];
      const lhs = matMul3([c[0]! * -1, c[1]!, c[2]!, 0, 0, 0, 0, 0, 0], r).slice(0, 3);
      const rhs = matMul3(matMul3([c[0]!, c[1]!, c[2]!, 0, 0, 0, 0, 0, 0], q), F).slice(0, 3);
      lhs.forEach((v, i) => expect(v).toBeCloseTo(rhs[i]!, 12));
      for (let i = 0; i < 9; i++) mean[i]! += q[i]! / N;
    }
    for (let i = 0; i < 9; i++) expect(Math.abs(mean[i]!)).toBeLessThan(0.05);
  });
});

describe('reassignment', () => {
  it('original = nearest; Vasa matches its plain twin; Vasa and Hungarian return true permutations; Hungarian is optimal', () => {
    for (let s = 0; s < 20; s++) {
      const m = s < 15 ? 3 + (s % 9) : 20 + 8 * s;
      const d = randomDist(m, s);
      const v = assignVasa(d, m);
      expect(Array.from(v)).toEqual(Array.from(plainVasa(d, m)));
      expect(isPermutation(v)).toBe(true);
      const h = assignHungarian(d, m);
      expect(isPermutation(h)).toBe(true);
      const cost = (a: ArrayLike<number>) => Array.from(a).reduce((t, c, i) => t + d[i * m + c]!, 0);
      expect(cost(h)).toBeLessThanOrEqual(cost(v) + 1e-12);
      if (m <= 7) {
        let best = Infinity;
        for (let k = 0; k < [1, 1, 2, 6, 24, 120, 720, 5040][m]!; k++) best = Math.min(best, cost(nthPermutation(k, m)));
        expect(cost(h)).toBeCloseTo(best, 12);
      }
      const o = assignOriginal(d, m);
      for (let i = 0; i < m; i++) expect(d[i * m + o[i]!]).toBe(Math.min(...d.subarray(i * m, (i + 1) * m)));
    }
  });

  it('fixture centroids (68 DK regions, both hemispheres): spins are true permutations within each hemisphere, no identity, no duplicates', () => {
    const { coords, hemi, n } = developmentData(/^[LR]_/);
    expect(n).toBe(68);
    const geom = spinGeometry(coords, hemi);
    for (const method of ['vasa', 'hungarian'] as const) {
      const set = generateSpins(geom, method, 3, 200);
      const keys = new Set<string>();
      for (let k = 0; k < 200; k++) {
        const idx = set.idx.subarray(k * n, (k + 1) * n);
        expect(isPermutation(idx)).toBe(true);
        for (let i = 0; i < n; i++) expect(hemi[idx[i]!]).toBe(hemi[i]);
        keys.add(idx.join(','));
        expect(idx.every((v, i) => v === i)).toBe(false);
      }
      expect(keys.size).toBe(200);
    }
    const orig = generateSpins(geom, 'original', 3, 50);
    let repeats = 0;
    for (let k = 0; k < 50; k++) if (!isPermutation(orig.idx.subarray(k * n, (k + 1) * n))) repeats++;
    expect(repeats).toBeGreaterThan(0); // nearest-centroid reassignment does repeat regions
  });

  it('Hungarian spins minimise the total Euclidean distance (not its square), as linear_sum_assignment on the distance matrix', () => {
    const { coords, hemi, n } = developmentData(/^L_/);
    const geom = spinGeometry(coords, hemi);
    for (let k = 0; k < 10; k++) {
      const q = randomRotation(stream(8, k));
      const rot = Array.from({ length: n }, (_, j) => [0, 1, 2].map((c) => coords[3 * j]! * q[c]! + coords[3 * j + 1]! * q[3 + c]! + coords[3 * j + 2]! * q[6 + c]!));
      const d = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = Math.hypot(coords[3 * i]! - rot[j]![0]!, coords[3 * i + 1]! - rot[j]![1]!, coords[3 * i + 2]! - rot[j]![2]!);
      const expected = assignHungarian(d, n);
      const got = spinResample(geom, q, 'hungarian');
      const cost = (a: ArrayLike<number>) => Array.from(a).reduce((t, c, i) => t + d[i * n + c]!, 0);
      expect(cost(got)).toBeCloseTo(cost(expected), 9);
      expect(cost(got)).toBeLessThanOrEqual(cost(spinResample(geom, q, 'vasa')) + 1e-9);
    }
  });

  it('duplicates are redrawn, and the result does not depend on how candidates were batched', () => {
    // 4 regions in one hemisphere: only 23 non-identity permutations, so 30 spins must collide
    const coords = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, -1, 0, 0]);
    const geom = spinGeometry(coords, [0, 0, 0, 0]);
    const a = generateSpins(geom, 'hungarian', 11, 30);
    expect(a.redrawn).toBeGreaterThan(0);
    const cands = Array.from({ length: 30 }, (_, k) => spinCandidate(geom, 'hungarian', 11, k));
    const b = resolveSpins(geom, 'hungarian', 11, [...cands.slice(0, 13), ...cands.slice(13)]);
    expect(Array.from(b.idx)).toEqual(Array.from(a.idx));
    const keys = new Set<string>();
    for (let k = 0; k < 30; k++) keys.add(a.idx.subarray(k * 4, k * 4 + 4).join(','));
    expect(keys.size).toBeLessThanOrEqual(23);
    expect(keys.size).toBeGreaterThanOrEqual(30 - a.duplicatesKept);
    expect(a.duplicatesKept).toBeGreaterThanOrEqual(30 - 23);
    expect(keys.has('0,1,2,3')).toBe(false);
  });
});

/** Plain refit of a bootstrap resample as pyls / Whitaker: rows of the once-z-scored X0 and y0, re-centred, w = r/‖X r‖. */
function centredRefit(X0: Float64Array, y0: Float64Array, idx: number[], n: number, p: number): Float64Array {
  const Xb = idx.map((j) => Array.from(X0.subarray(j * p, (j + 1) * p)));
  const yb = idx.map((j) => y0[j]!);
  const my = yb.reduce((a, b) => a + b, 0) / n;
  for (let g = 0; g < p; g++) {
    const m = Xb.reduce((a, row) => a + row[g]!, 0) / n;
    for (const row of Xb) row[g]! -= m;
  }
  const r = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) r[g]! += Xb[i]![g]! * (yb[i]! - my);
  let tt = 0;
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let g = 0; g < p; g++) t += Xb[i]![g]! * r[g]!;
    tt += t * t;
  }
  return r.map((v) => v / Math.sqrt(tt));
}

describe('PLS nulls', () => {
  const dev = developmentData();
  const model = new PlsNullModel(dev.X, dev.y, dev.n, dev.p);

  it('permutation null: the O(n²) variance equals a full refit with the permuted map', () => {
    const nulls = model.permutationNull(5, 0, 6);
    for (let k = 0; k < 6; k++) {
      const perm = randomPermutation(stream(5, k), dev.n);
      const yp = Array.from(perm, (j) => dev.y[j]!);
      expect(nulls[k]).toBeCloseTo(fitPls1(dev.X, yp, dev.n, dev.p).varianceExplained, 12);
    }
    // with repeats (nearest-centroid spins) the resample is re-z-scored
    const geom = spinGeometry(dev.coords, dev.hemi);
    const spins = generateSpins(geom, 'original', 2, 5);
    const sn = model.spinNull(spins.idx, 5);
    for (let k = 0; k < 5; k++) {
      const ys = Array.from(spins.idx.subarray(k * dev.n, (k + 1) * dev.n), (j) => dev.y[j]!);
      expect(sn[k]).toBeCloseTo(fitPls1(dev.X, ys, dev.n, dev.p).varianceExplained, 12);
    }
    expect(upperTailP(0.5, [0.1, 0.6, 0.5, 0.2])).toEqual({ p: 3 / 5, n: 4, exceed: 2 });
  });

  it('exhaustive relabelling: all n! permutations, each equal to a refit', () => {
    const n = 5, p = 7;
    const rng = stream(21, 0);
    const X = Float64Array.from({ length: n * p }, () => rng.normal());
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const m = new PlsNullModel(X, y, n, p);
    const all = m.permutationNull(0, 0, 120, true);
    const seen = new Set<string>();
    for (let k = 0; k < 120; k++) {
      const perm = nthPermutation(k, n);
      seen.add(perm.join(','));
      expect(all[k]).toBeCloseTo(fitPls1(X, Array.from(perm, (j) => y[j]!), n, p).varianceExplained, 12);
    }
    expect(seen.size).toBe(120);
    expect(all[0]).toBeCloseTo(m.fit.varianceExplained, 14); // the identity is permutation 0
  });

  it('bootstrap: fast weights equal a plain re-centred refit on the resampled regions (sign-aligned); chunking does not change Z', () => {
    const { partials, weights } = model.bootstrap(9, 0, 8, true);
    for (let k = 0; k < 8; k++) {
      const c = model.bootstrapCounts(9, k);
      const idx: number[] = [];
      c.forEach((m, j) => {
        for (let t = 0; t < m; t++) idx.push(j);
      });
      const wb = centredRefit(model.X0, model.y0, idx, dev.n, dev.p);
      const sgn = pearson(wb, model.fit.weights) < 0 ? -1 : 1;
      for (const g of [0, 7, 500, 1644]) expect(weights![k * dev.p + g]).toBeCloseTo(sgn * wb[g]!, 10);
    }
    expect(partials.length).toBe(1);
    const one = bootstrapZ(model.fit.weights, model.bootstrap(9, 0, 2 * BOOT_CHUNK).partials);
    const two = bootstrapZ(model.fit.weights, [...model.bootstrap(9, BOOT_CHUNK, BOOT_CHUNK).partials, ...model.bootstrap(9, 0, BOOT_CHUNK).partials]);
    expect(Array.from(two.z)).toEqual(Array.from(one.z));
    // Z against the plain definition: w / sd of the kept weights
    const kept = model.bootstrap(9, 0, 60, true);
    const z = bootstrapZ(model.fit.weights, kept.partials).z;
    for (const g of [3, 900]) {
      const ws = Array.from({ length: 60 }, (_, k) => kept.weights![k * dev.p + g]!);
      const m = ws.reduce((a, b) => a + b, 0) / 60;
      const sd = Math.sqrt(ws.reduce((a, b) => a + (b - m) ** 2, 0) / 59);
      expect(z[g]).toBeCloseTo(model.fit.weights[g]! / sd, 9);
    }
  });

  it('bootstrap Z is stable across seeds at 5,000 resamples (r > 0.99)', () => {
    const a = bootstrapZ(model.fit.weights, model.bootstrap(1, 0, 5000).partials).z;
    const b = bootstrapZ(model.fit.weights, model.bootstrap(2, 0, 5000).partials).z;
    expect(pearson(a, b)).toBeGreaterThan(0.99);
  });

  it('per-gene spin counts equal a plain per-gene loop', () => {
    const geom = spinGeometry(dev.coords, dev.hemi);
    const spins = generateSpins(geom, 'vasa', 4, 70);
    const counts = model.geneSpinCounts(spins.idx, 70);
    for (const g of [0, 11, 812, 1644]) {
      const x = Array.from({ length: dev.n }, (_, i) => dev.X[i * dev.p + g]!);
      const r = pearson(x, dev.y);
      let c = 0;
      for (let k = 0; k < 70; k++) {
        const ys = Array.from(spins.idx.subarray(k * dev.n, (k + 1) * dev.n), (j) => dev.y[j]!);
        if (Math.abs(pearson(x, ys)) >= Math.abs(r)) c++;
      }
      expect(counts[g]).toBe(c);
      expect(model.geneR[g]).toBeCloseTo(r, 12);
    }
  });
});

describe('map–map spin correlation', () => {
  it('functional degree centrality (column sums of the HCP matrix) vs scz thickness, 68 regions: r, ρ and two-sided spin p equal a plain loop', () => {
    const fc = read('maps', 'enigma_hcp_funcMatrix_ctx.csv').trim().split('\n').map((l) => l.split(',').map(Number));
    const labels = read('maps', 'enigma_hcp_funcLabels_ctx.csv').trim().split(',');
    const degree = new Map(labels.map((l, j) => [l.trim(), fc.reduce((s, row) => s + row[j]!, 0)]));
    const dev = developmentData(/^[LR]_/);
    const x = dev.labels.map((l) => degree.get(l)!);
    const geom = spinGeometry(dev.coords, dev.hemi);
    const spins = generateSpins(geom, 'vasa', 1234, 1000);
    const res = spinCorrelation(x, dev.y, spins.idx, 1000);
    expect(res.n).toBe(68);
    expect(res.r).toBeCloseTo(pearson(x, dev.y), 14);
    expect(res.rho).toBeCloseTo(spearman(x, dev.y), 14);
    let e = 0;
    for (let k = 0; k < 1000; k++) {
      const ys = Array.from(spins.idx.subarray(k * 68, (k + 1) * 68), (j) => dev.y[j]!);
      if (Math.abs(pearson(x, ys)) >= Math.abs(res.r)) e++;
    }
    expect(res.pSpin).toBe((1 + e) / 1001);
    expect(res.nSpin).toBe(1000);
    // a spin p must be larger than a naive permutation p for a spatially smooth pair
    expect(res.pSpin).toBeGreaterThan(0);
  });

  it('spearman uses average ranks', () => {
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(pearson([1, 2.5, 2.5, 4], [1, 2, 3, 4]), 14);
  });
});
