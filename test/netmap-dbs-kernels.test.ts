import { describe, expect, it } from 'vitest';
import { summariseOutcomes } from '../shared/netmap/dbs-outcomes.ts';
import { peakToSweetSpots } from '../shared/netmap/sweet-spot.ts';
import { MADLER_COENEN_2012, stimulationVoltage, vatMask, vatRadiusMm } from '../shared/netmap/vat.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';
import { expectNamed } from './helpers/errors.ts';


describe('VAT radius (Mädler & Coenen 2012 eq. 3)', () => {
  it('matches hand-worked values of the published formula', () => {
    // U = 3 V, Im = 1000 Ω: a = k1 + k4·Im = −1.0473 + 0.9856 = −0.0617; a² = 0.00380689;
    // a² + 4·k3·U = 0.00380689 + 3.3432 = 3.34700689; √ = 1.829483; r = (0.0617 + 1.829483)/0.5572 = 3.39408
    expect(vatRadiusMm({ amplitude: 3, mode: 'voltage', impedanceOhm: 1000 })).toBeCloseTo(3.39408, 4);
    // U = 1 V, Im = 500 Ω: a = −1.0473 + 0.4928 = −0.5545; a² + 4·k3 = 0.30747 + 1.1144 = 1.42187; √ = 1.192422;
    // r = (0.5545 + 1.192422)/0.5572 = 3.13518
    expect(vatRadiusMm({ amplitude: 1, mode: 'voltage', impedanceOhm: 500 })).toBeCloseTo(3.13518, 4);
    // default impedance is 1000 Ω
    expect(vatRadiusMm({ amplitude: 3, mode: 'voltage' })).toBe(vatRadiusMm({ amplitude: 3, mode: 'voltage', impedanceOhm: 1000 }));
  });

  it('is the positive root of k3·r² + (k1 + k4·Im)·r = U for a range of settings; r grows with U', () => {
    const { k1, k3, k4 } = MADLER_COENEN_2012;
    for (const im of [500, 800, 1000, 1062, 1200, 1500]) {
      let prev = 0;
      for (const U of [0.1, 0.5, 1, 2, 3.5, 5, 8]) {
        const r = vatRadiusMm({ amplitude: U, mode: 'voltage', impedanceOhm: im });
        expect(r).toBeGreaterThan(0);
        expect(Math.abs(k3 * r * r + (k1 + k4 * im) * r - U)).toBeLessThan(1e-12);
        expect(r).toBeGreaterThan(prev);
        prev = r;
      }
    }
  });

  it('r = 0 at zero amplitude; current mode uses U = I·Im with I in amperes', () => {
    expect(vatRadiusMm({ amplitude: 0, mode: 'voltage' })).toBe(0);
    expect(vatRadiusMm({ amplitude: 0, mode: 'current' })).toBe(0);
    expect(stimulationVoltage({ amplitude: 3, mode: 'current', impedanceOhm: 1000 })).toBe(3);
    expect(stimulationVoltage({ amplitude: 2, mode: 'current', impedanceOhm: 1500 })).toBe(3);
    expect(vatRadiusMm({ amplitude: 2, mode: 'current', impedanceOhm: 1500 })).toBe(vatRadiusMm({ amplitude: 3, mode: 'voltage', impedanceOhm: 1500 }));
    // pulse width is accepted and has no effect on the radius
    expect(vatRadiusMm({ amplitude: 3, mode: 'voltage', pulseWidthUs: 90 })).toBe(vatRadiusMm({ amplitude: 3, mode: 'voltage', pulseWidthUs: 60 }));
  });

  it('refuses bad settings with a named error naming the field', () => {
    expectNamed(() => vatRadiusMm({ amplitude: -1, mode: 'voltage' }), 'InvalidParameter');
    expectNamed(() => vatRadiusMm({ amplitude: NaN, mode: 'voltage' }), 'InvalidParameter');
    expectNamed(() => vatRadiusMm({ amplitude: 3, mode: 'voltage', impedanceOhm: 0 }), 'InvalidParameter');
    expectNamed(() => vatRadiusMm({ amplitude: 3, mode: 'pulse' as never }), 'InvalidParameter');
    expect(() => vatRadiusMm({ amplitude: 3, mode: 'voltage', pulseWidthUs: -60 })).toThrow(expect.objectContaining({ input: 'stimulation.pulseWidthUs' }));
  });

  it('VAT mask = union of spheres of the model radius around the active contacts (brute force on a 1 mm grid)', () => {
    const grid = { dims: [20, 20, 20] as [number, number, number], affine: [1, 0, 0, -10, 0, 1, 0, -10, 0, 0, 1, -10, 0, 0, 0, 1] };
    const contacts = [
      { mm: [0, 0, 0] as const, setting: { amplitude: 3, mode: 'voltage' as const } },
      { mm: [4, 2, 1] as const, setting: { amplitude: 1.5, mode: 'current' as const, impedanceOhm: 1200 } },
      { mm: [-5, -5, -5] as const, setting: { amplitude: 0, mode: 'voltage' as const } },
    ];
    const { mask, radiiMm } = vatMask(grid, contacts);
    expect(radiiMm[2]).toBe(0);
    const aff = Float64Array.from(grid.affine);
    let n = 0;
    for (let k = 0; k < 20; k++) for (let j = 0; j < 20; j++) for (let i = 0; i < 20; i++) {
      const p = voxelToMm(aff, i, j, k);
      const inside = contacts.some((c, ci) => radiiMm[ci]! > 0 && Math.hypot(p[0] - c.mm[0], p[1] - c.mm[1], p[2] - c.mm[2]) <= radiiMm[ci]! + 1e-9);
      expect(mask[i + 20 * (j + 20 * k)]).toBe(inside ? 1 : 0);
      if (inside) n++;
    }
    expect(n).toBeGreaterThan(100);
  });
});

describe('DBS outcome summaries', () => {
  it('median, IQR (type 7), mean ± SE and responders > 50 % match hand values', () => {
    // sorted 10 20 30 40 55 60 75 80 95: median 55; Q1 at h = 2 → 30; Q3 at h = 6 → 75;
    // mean 465/9 = 51.667; SD² = Σ(x − m)²/8 = 6650/8 → SD = 28.8314, SE = SD/3 = 9.6105; responders 55 60 75 80 95 = 5
    const s = summariseOutcomes([95, 10, 55, 20, 40, 30, 80, 60, 75]);
    expect(s).toMatchObject({ n: 9, median: 55, q1: 30, q3: 75, iqr: 45, min: 10, max: 95, responders: 5 });
    expect(s.mean).toBeCloseTo(465 / 9, 12);
    expect(s.se).toBeCloseTo(Math.sqrt(6650 / 8) / 3, 12);
    expect(s.responderFraction).toBeCloseTo(5 / 9, 12);
    // interpolated quartiles: 1 2 3 4 → Q1 = 1.75, Q3 = 3.25; exactly 50 % is not a responder
    expect(summariseOutcomes([4, 1, 3, 2])).toMatchObject({ q1: 1.75, q3: 3.25, median: 2.5 });
    expect(summariseOutcomes([50, 50.5]).responders).toBe(1);
    expect(Number.isNaN(summariseOutcomes([42]).se)).toBe(true);
    expectNamed(() => summariseOutcomes([]), 'EmptyData');
    expectNamed(() => summariseOutcomes([1, NaN]), 'InvalidParameter');
  });
});

describe('peak-to-sweet-spot distance', () => {
  it('distance from the region peak (and the nearest tie) to each sweet spot', () => {
    const grid = { dims: [5, 5, 5] as [number, number, number], affine: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1] };
    const map = new Float32Array(125);
    map[1 + 5 * (1 + 5 * 1)] = 7; // (2, 2, 2) mm
    map[3 + 5 * (1 + 5 * 1)] = 7; // (6, 2, 2) mm, a tie
    map[4 + 5 * (4 + 5 * 4)] = 9; // outside the region
    const region = new Uint8Array(125);
    for (let v = 0; v < 124; v++) region[v] = 1;
    const { peak, distances } = peakToSweetSpots(map, grid, region, [{ label: 'CM', mm: [6, 2, 5] }, { label: 'ANT', mm: [2, 6, 2] }]);
    expect(peak.value).toBe(7);
    expect(peak.voxels.map((v) => v.mm)).toEqual([[2, 2, 2], [6, 2, 2]]);
    expect(distances[0]).toMatchObject({ label: 'CM', distanceMm: 5, minDistanceMm: 3 });
    expect(distances[1]).toMatchObject({ label: 'ANT', distanceMm: 4 });
    expect(distances[1]!.minDistanceMm).toBe(4);
  });
});

describe('DBS network against an external network (the published IGE map)', () => {
  it('r, convergent map and its thalamic peak-to-sweet-spot distance equal direct computations', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { readNifti } = await import('../shared/nifti/index.ts');
    const { FIXTURES } = await import('./helpers/fixtures.ts');
    const { compareDbsWithExternal } = await import('../shared/netmap/dbs-external.ts');
    const { stream } = await import('../shared/random.ts');
    const load = (f: string) => readNifti(new Uint8Array(readFileSync(join(FIXTURES, 'network', f))), f);
    const ige = load('IGEnetwork.nii');
    const aal = load('AAL_618361.nii').data;
    const brain = Uint8Array.from(load('BrainMask618361_BH.nii').data, (x) => (x !== 0 ? 1 : 0));
    const rng = stream(21, 0);
    const dbs = Float32Array.from(ige.data, (x) => 0.5 * x + 0.3 * rng.normal());
    const thal = Uint8Array.from(aal, (l) => (l === 77 || l === 78 ? 1 : 0));
    const spots = [{ label: 'sweet-spot', mm: [-8, -20, 2] as [number, number, number] }];
    const grid = { dims: [61, 83, 61] as [number, number, number], affine: ige.header.affine };
    const r = compareDbsWithExternal(dbs, ige.data, grid, brain, { region: thal, sweetSpots: spots });
    // direct: in-mask vectors, two-pass Pearson, z-scores (ddof 1, the zScoreMap default) averaged
    const xs: number[] = [];
    const ys: number[] = [];
    const idx: number[] = [];
    for (let v = 0; v < dbs.length; v++) if (brain[v]) (xs.push(dbs[v]!), ys.push(ige.data[v]!), idx.push(v));
    const n = xs.length;
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const [mx, my] = [mean(xs), mean(ys)];
    const sx = Math.sqrt(xs.reduce((s, x) => s + (x - mx) ** 2, 0) / (n - 1));
    const sy = Math.sqrt(ys.reduce((s, y) => s + (y - my) ** 2, 0) / (n - 1));
    const pear = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / ((n - 1) * sx * sy);
    expect(r.n).toBe(n);
    expect(r.pearson).toBeCloseTo(pear, 9);
    expect(r.pearson).toBeGreaterThan(0.5);
    let best = -Infinity;
    let at = -1;
    idx.forEach((v, i) => {
      const c = ((xs[i]! - mx) / sx + (ys[i]! - my) / sy) / 2;
      expect(Math.abs(r.convergent[v]! - c)).toBeLessThan(1e-5);
      if (thal[v] && Math.fround(c) > best) (best = Math.fround(c)), (at = v);
    });
    expect(r.regionPeak!.voxels[0]!.index).toBe(at);
    const p = r.regionPeak!.voxels[0]!.mm;
    expect(r.sweetSpots![0]!.distanceMm).toBeCloseTo(Math.hypot(p[0] + 8, p[1] + 20, p[2] - 2), 12);
    console.log(`DBS (synthetic) vs IGE: r = ${r.pearson.toFixed(3)}, Spearman ${r.spearman.toFixed(3)}; convergent thalamic peak at MNI (${p.join(', ')}), ${r.sweetSpots![0]!.distanceMm.toFixed(1)} mm from (−8, −20, 2)`);
  });
});
