import { describe, expect, it } from 'vitest';
import { packRun } from '../shared/netmap/connectome.ts';
import { correlateRun } from '../shared/netmap/correlate.ts';
import { roiConnectivityAnova, roiToRoiSubjectFile, seedFromWeights } from '../shared/netmap/roi-connectivity.ts';
import { stream } from '../shared/random.ts';
import { rmAnovaOneWay } from '../shared/stats/rm-anova.ts';
import { expectNamed } from './helpers/errors.ts';

const NV = 6 * 6 * 6;
const cmask = Uint8Array.from({ length: NV }, (_, g) => (g % 17 === 5 ? 0 : 1));
const compact = new Int32Array(NV).fill(-1);
let V = 0;
for (let g = 0; g < NV; g++) if (cmask[g]) compact[g] = V++;

// ROIs as full-grid weights: source = voxels 0–9, targets in two groups; one weighted mask, one with a voxel outside the connectome mask
const roiW = (vox: number[], w: (i: number) => number = () => 1) => {
  const a = new Float32Array(NV);
  vox.forEach((g, i) => (a[g] = w(i)));
  return a;
};
const SOURCE = roiW([0, 1, 2, 3, 4, 6, 7, 8, 9]);
const TARGETS = [
  { name: 'scan1', group: 'SCAN', w: roiW([40, 41, 42]) },
  { name: 'scan2', group: 'SCAN', w: roiW([60, 61, 62, 63], (i) => 0.5 + i) },
  { name: 'dmn', group: 'DMN', w: roiW([100, 101, 102, 103, 104]) },
  { name: 'vis', group: 'VIS', w: roiW([150, 22, 151]) }, // voxel 22 is outside the connectome mask
  { name: 'one', group: 'VIS', w: roiW([180]) },
];

/** 4-D runs of a subject: a shared factor drives the source and SCAN strongly, DMN weakly, VIS not; noise elsewhere. */
function subjectRunsRaw(s: number): { data: Float32Array; T: number }[] {
  return [40, 33].map((T, r) => {
    const rng = stream(100 + s, r);
    const f = Float64Array.from({ length: T }, () => rng.normal());
    const data = new Float32Array(NV * T);
    for (let t = 0; t < T; t++) for (let g = 0; g < NV; g++) {
      const load = g < 10 ? 1 : g >= 40 && g < 70 ? 0.8 : g >= 100 && g < 110 ? 0.3 : 0;
      data[t * NV + g] = 50 + g * 0.1 + load * f[t]! + rng.normal();
    }
    return { data, T };
  });
}

/** Plain twin on the raw 4-D data: weighted ROI means over grid voxels, two-pass Pearson, mean over runs, atanh. */
function directZ(runs: { data: Float32Array; T: number }[], src: Float32Array, tgt: Float32Array): number {
  const series = (d: Float32Array, T: number, w: Float32Array) =>
    Array.from({ length: T }, (_, t) => {
      let a = 0;
      let ws = 0;
      for (let g = 0; g < NV; g++) if (cmask[g] && w[g]) (a += w[g]! * d[t * NV + g]!), (ws += w[g]!);
      return a / ws;
    });
  const rs = runs.map(({ data, T }) => {
    const x = series(data, T, src);
    const y = series(data, T, tgt);
    const mx = x.reduce((p, q) => p + q, 0) / T;
    const my = y.reduce((p, q) => p + q, 0) / T;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let t = 0; t < T; t++) (sxy += (x[t]! - mx) * (y[t]! - my)), (sxx += (x[t]! - mx) ** 2), (syy += (y[t]! - my) ** 2);
    return sxy / Math.sqrt(sxx * syy);
  });
  return Math.atanh(rs.reduce((p, q) => p + q, 0) / rs.length);
}

/** A subject file of the connectome format: packed runs concatenated. */
function subjectFile(runs: { data: Float32Array; T: number }[]): Uint8Array {
  const packed = runs.map((r) => packRun(r.data, NV, r.T, cmask));
  const all = new Float32Array(packed.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of packed) (all.set(p, off), (off += p.length));
  return new Uint8Array(all.buffer);
}

describe('ROI-to-ROI connectivity per connectome subject', () => {
  const source = seedFromWeights(SOURCE, compact);
  const targets = TARGETS.map((t) => seedFromWeights(t.w, compact, t.name));
  const subjects = Array.from({ length: 9 }, (_, s) => `sub-${s + 1}`);
  const raw = subjects.map((_, s) => subjectRunsRaw(s));
  const z = raw.map((runs) => roiToRoiSubjectFile(subjectFile(runs), runs.map((r) => r.T), V, source, targets));

  it('Fisher z per subject and target equals a direct computation on the raw 4-D runs', () => {
    raw.forEach((runs, s) => {
      TARGETS.forEach((t, k) => expect(Math.abs(z[s]![k]! - directZ(runs, SOURCE, t.w))).toBeLessThan(1e-5));
    });
    // the planted structure: SCAN ≫ DMN > VIS ≈ 0
    const mean = (k: number) => z.reduce((a, row) => a + row[k]!, 0) / z.length;
    expect(mean(0)).toBeGreaterThan(0.3);
    expect(mean(2)).toBeLessThan(mean(0));
    expect(Math.abs(mean(4))).toBeLessThan(0.2);
  });

  it('a single-voxel target gives the seed-to-voxel r of correlateRun (one run)', () => {
    const runs = raw[0]!.slice(0, 1);
    const one = roiToRoiSubjectFile(subjectFile(runs), [runs[0]!.T], V, source, [targets[4]!]);
    const packed = packRun(runs[0]!.data, NV, runs[0]!.T, cmask);
    const r = new Float64Array(V);
    correlateRun(packed, runs[0]!.T, V, [source], r);
    expect(Math.abs(Math.tanh(one[0]!) - r[compact[180]!]!)).toBeLessThan(1e-6);
  });

  it('group table (mean z per group) and repeated-measures ANOVA across groups equal the hand-built table', () => {
    const res = roiConnectivityAnova(subjects, z, TARGETS);
    expect(res.groups).toEqual(['SCAN', 'DMN', 'VIS']);
    expect(res.subjects).toEqual(subjects);
    const table = z.flatMap((row) => [(row[0]! + row[1]!) / 2, row[2]!, (row[3]! + row[4]!) / 2]);
    table.forEach((x, i) => expect(res.values[i]).toBeCloseTo(x, 14));
    const ref = rmAnovaOneWay(table, 9, 3);
    expect(res.anova.F).toBeCloseTo(ref.F, 10);
    expect([res.anova.dfConditions, res.anova.dfError]).toEqual([2, 16]);
    expect(res.anova.p).toBeLessThan(1e-4);
    expect(res.anova.posthoc.find((q) => q.a === 0 && q.b === 2)!.meanDiff).toBeGreaterThan(0);
  });

  it('leaves out subjects with an undefined value and refuses a single group', () => {
    const zz = z.map((r) => r.slice());
    zz[2]![1] = NaN;
    const res = roiConnectivityAnova(subjects, zz, TARGETS);
    expect(res.excluded).toEqual(['sub-3']);
    expect(res.anova.n).toBe(8);
    expectNamed(() => roiConnectivityAnova(subjects, z, TARGETS.map((t) => ({ ...t, group: 'one' }))), 'InvalidParameter');
    expectNamed(() => seedFromWeights(roiW([5]), compact), 'InvalidParameter');
  });
});
