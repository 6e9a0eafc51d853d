import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../shared/nifti/index.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';
import { labelValues } from '../shared/netmap/label-values.ts';
import { maskValues, studyRoiValues, twoGroupTest } from '../shared/netmap/roi-group-tests.ts';
import { stream } from '../shared/random.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { expectNamed } from './helpers/errors.ts';

const grid = { dims: [10, 9, 8] as [number, number, number], affine: [-2, 0, 0, 9, 0, 2, 0, -8, 0, 0, 2, -7, 0, 0, 0, 1] };
const N = 720;
const rng = stream(4, 0);
const map = Float32Array.from({ length: N }, () => rng.normal());
map[17] = NaN;
const within = Uint8Array.from({ length: N }, (_, v) => (v % 11 === 0 ? 0 : 1));

describe('study-level ROI values (union of spheres)', () => {
  it('equal a brute-force union of spheres inside the mask', () => {
    const studies = [
      { study: 'ige1', coords: [[0, 0, 0], [4, 2, 1]] as [number, number, number][] },
      { study: 'focal1', coords: [[-6, 4, 3]] as [number, number, number][] },
    ];
    const rows = studyRoiValues(map, grid, studies, 6, within);
    const aff = Float64Array.from(grid.affine);
    studies.forEach((s, si) => {
      let sum = 0;
      let n = 0;
      for (let v = 0; v < N; v++) {
        if (!within[v] || !Number.isFinite(map[v]!)) continue;
        const p = voxelToMm(aff, v % 10, Math.floor(v / 10) % 9, Math.floor(v / 90));
        if (s.coords.some((c) => Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= 3 + 1e-9)) (sum += map[v]!), n++;
      }
      expect(rows[si]).toEqual({ name: s.study, voxels: n, mean: expect.closeTo(sum / n, 12) });
    });
    expectNamed(() => studyRoiValues(map, grid, [{ study: 'far', coords: [[500, 500, 500]] }], 6), 'EmptyData');
  });
});

describe('lesion-mask values', () => {
  it('mean over each mask\'s non-zero finite voxels', () => {
    const m1 = new Float32Array(N);
    for (const v of [1, 2, 3, 17, 40]) m1[v] = 1;
    m1[41] = NaN;
    const rows = maskValues(map, [{ name: 'les1', data: m1 }]);
    expect(rows[0]!.voxels).toBe(4); // 17 has a NaN map value, 41 a NaN mask value
    expect(rows[0]!.mean).toBeCloseTo((map[1]! + map[2]! + map[3]! + map[40]!) / 4, 12);
    expectNamed(() => maskValues(map, [{ name: 'short', data: new Float32Array(3) }]), 'SpaceMismatch');
    expectNamed(() => maskValues(map, [{ name: 'empty', data: new Float32Array(N) }]), 'EmptyData');
  });
});

describe('two-group test: Welch t and a permutation p', () => {
  it('hand case: 1 2 3 vs 4 5 6 → t = −3√(3/2), df 4; exact p = 2/20 (the observed split and its mirror)', () => {
    const r = twoGroupTest([1, 2, 3], [4, 5, 6], { exact: true });
    expect(r.welch.t).toBeCloseTo(-3 / Math.sqrt(2 / 3), 12);
    expect(r.welch.df).toBeCloseTo(4, 12);
    expect(r.permutation).toEqual({ p: 0.1, permutations: 20, exact: true });
  });

  it('Monte Carlo p is within 4 SE of the exact p, reproducible from the seed', () => {
    const a = [0.3, 1.2, 0.8, 1.9, 1.1];
    const b = [0.1, -0.4, 0.6, 0.2, -0.1, 0.5];
    const exact = twoGroupTest(a, b, { exact: true }).permutation.p;
    const mc = twoGroupTest(a, b, { permutations: 20000, seed: 7 });
    const se = Math.sqrt((exact * (1 - exact)) / 20000);
    expect(Math.abs(mc.permutation.p - exact)).toBeLessThan(4 * se + 1 / 20001);
    expect(twoGroupTest(a, b, { permutations: 500, seed: 7 })).toEqual(twoGroupTest(a, b, { permutations: 500, seed: 7 }));
    expect(exact).toBeGreaterThan(0);
    expect(exact).toBeLessThan(0.05);
  });

  it('refuses groups of fewer than 2 values', () => {
    expectNamed(() => twoGroupTest([1], [2, 3]), 'InvalidParameter');
  });
});

describe('per-label values of an atlas, ranked', () => {
  it('IGE network in AAL: every label\'s mean equals a direct mean; ranks follow the means', () => {
    const load = (f: string) => readNifti(new Uint8Array(readFileSync(join(FIXTURES, 'network', f))), f).data;
    const ige = load('IGEnetwork.nii');
    const aal = load('AAL_618361.nii');
    const rows = labelValues(ige, aal, { names: new Map([[77, 'Thalamus_L'], [78, 'Thalamus_R']]) });
    expect(rows).toHaveLength(116);
    for (const l of [1, 77, 78, 116]) {
      let s = 0;
      let n = 0;
      for (let v = 0; v < ige.length; v++) if (aal[v] === l) (s += ige[v]!), n++;
      const row = rows.find((r) => r.label === l)!;
      expect(row.voxels).toBe(n);
      expect(row.mean).toBeCloseTo(s / n, 10);
    }
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.mean).toBeLessThanOrEqual(rows[i - 1]!.mean);
    expect(rows.map((r) => r.rank)).toEqual(rows.map((_, i) => i + 1));
    const thal = rows.filter((r) => r.label === 77 || r.label === 78);
    console.log(`IGE network, AAL thalami: ${thal.map((r) => `${r.name} mean ${r.mean.toFixed(4)} rank ${r.rank}/116`).join('; ')}; top: ${rows.slice(0, 3).map((r) => `${r.name} ${r.mean.toFixed(3)}`).join(', ')}`);
    expect(labelValues(ige, aal, { order: 'asc' })[0]!.label).toBe(rows[rows.length - 1]!.label);
  });
});
