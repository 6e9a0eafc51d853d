/**
 * Sweep plan and variants (shared/netmap/sweep-variants.ts) on the synthetic demo
 * connectome: every seed geometry mapped in ONE pass, every variant derived from those
 * t maps, checked voxel for voxel against the same configuration mapped on its own (its
 * own seeds only, its own pass, its own overlap).
 */
import { describe, expect, it } from 'vitest';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { addSubject, emptySums, seedMaps, type Seed } from '../shared/netmap/correlate.ts';
import { overlapMaps } from '../shared/netmap/overlap.ts';
import { geometryId, planSweep, sweepRows, variantOverlap, type SweepStudy } from '../shared/netmap/sweep-variants.ts';
import { sphereMask } from '../shared/volume/spheres.ts';
import { expectNamed } from './helpers/errors.ts';

const demo = demoConnectome(3, 8, 50);
const g = demo.manifest.grid;
const grid = { dims: g.dims, affine: g.affine };
const N = g.dims[0] * g.dims[1] * g.dims[2];
const compact = new Int32Array(N).fill(-1);
let V = 0;
for (let v = 0; v < N; v++) if (demo.mask[v]) compact[v] = V++;

const studies: SweepStudy[] = [
  { study: 's1', coords: [[-12, -18, 6], [-10, -22, 2]], columns: { modality: 'structural', diagnosis: 'GTCS' } },
  { study: 's2', coords: [[30, -66, -30]], columns: { modality: 'functional', diagnosis: 'JME' } },
  { study: 's3', coords: [[0, 42, 24]], columns: { modality: 'functional', diagnosis: 'GTCS' } },
  { study: 's4', coords: [[-24, -90, 6], [24, -90, 6]], columns: { modality: 'structural', diagnosis: 'absence' } },
  { study: 's5', coords: [[-14, -16, 8]], columns: { modality: 'functional', diagnosis: 'JME' } },
];

function seedOf(coords: readonly (readonly [number, number, number])[], diameterMm: number): Seed {
  const m = sphereMask(grid, coords, diameterMm / 2, demo.mask);
  const idx: number[] = [];
  for (let v = 0; v < N; v++) if (m[v]) idx.push(compact[v]!);
  return { index: Int32Array.from(idx), weight: new Float64Array(idx.length).fill(1) };
}

/** t maps of a list of seeds from one pass over the connectome's subjects. */
function tMaps(seeds: Seed[]): Float32Array[] {
  const sums = emptySums(seeds.length, V);
  for (const runs of demo.runs) addSubject(runs.map((data) => ({ data, T: data.length / V })), V, seeds, sums);
  return seeds.map((_, k) => seedMaps(sums, k).t);
}

describe('sweep: one pass, variants derived', () => {
  const spec = { thresholds: [3, 2.5, 4], sphereDiameterMm: [12, 18], subsets: ['modality'], leaveOneOut: ['diagnosis'], perCoordinate: true };
  const plan = planSweep(spec, studies, { threshold: 5.1, diameterMm: 6 });

  it('plans every study × diameter and every coordinate, and the named variants', () => {
    expect(plan.geometries.map((x) => x.id)).toEqual([
      's1@d12mm', 's2@d12mm', 's3@d12mm', 's4@d12mm', 's5@d12mm',
      's1@d18mm', 's2@d18mm', 's3@d18mm', 's4@d18mm', 's5@d18mm',
      's1#1@d12mm', 's1#2@d12mm', 's2#1@d12mm', 's3#1@d12mm', 's4#1@d12mm', 's4#2@d12mm', 's5#1@d12mm',
    ]);
    expect(plan.variants.map((v) => v.name)).toEqual([
      't3_d12mm', 't2.5_d12mm', 't4_d12mm', 't3_d18mm', 't2.5_d18mm', 't4_d18mm',
      't3_d12mm_modality-functional', 't3_d12mm_modality-structural',
      't3_d12mm_no-diagnosis-GTCS', 't3_d12mm_no-diagnosis-JME', 't3_d12mm_no-diagnosis-absence',
      't3_d12mm_per-coordinate',
    ]);
    expect(plan.variants.find((v) => v.name === 't3_d12mm_no-diagnosis-JME')!.seeds).toEqual(['s1@d12mm', 's3@d12mm', 's4@d12mm']);
  });

  it('every variant equals, voxel for voxel, the same configuration mapped on its own', () => {
    const all = tMaps(plan.geometries.map((x) => seedOf(x.coords, x.diameterMm)));
    const byId = new Map(plan.geometries.map((x, i) => [x.id, all[i]!]));
    const overlaps = new Map(plan.variants.map((v) => [v.name, variantOverlap(v, (id) => byId.get(id)!, V)]));
    for (const v of plan.variants) {
      // the separate job: only this configuration's seeds, its own pass
      const members = v.perCoordinate ? studies.flatMap((s) => s.coords.map((c) => [c])) : studies.filter((s) => !v.subset || (s.columns[v.subset.column] === v.subset.level) === (v.subset.mode === 'only')).map((s) => s.coords);
      const own = overlapMaps(tMaps(members.map((c) => seedOf(c, v.diameterMm))), v.threshold);
      const got = overlaps.get(v.name)!;
      expect(got.n).toBe(members.length);
      expect(Buffer.from(got.signed.buffer).equals(Buffer.from(own.signed.buffer))).toBe(true);
      expect(Buffer.from(got.posCount.buffer).equals(Buffer.from(own.posCount.buffer))).toBe(true);
      expect(Buffer.from(got.negCount.buffer).equals(Buffer.from(own.negCount.buffer))).toBe(true);
    }
    // something is mapped at all, and thresholds order the overlap
    const lo = overlaps.get('t2.5_d12mm')!.posCount.reduce((a, b) => a + b, 0);
    const hi = overlaps.get('t4_d12mm')!.posCount.reduce((a, b) => a + b, 0);
    expect(lo).toBeGreaterThan(hi);
    expect(hi).toBeGreaterThan(0);
    const cmaskV = new Uint8Array(V).fill(1);
    const rows = sweepRows(plan.variants, overlaps, { dims: [V, 1, 1], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, cmaskV);
    expect(rows[0]!.rWithMain).toBeCloseTo(1, 12);
    expect(rows.map((r) => r.studies)).toEqual([5, 5, 5, 5, 5, 5, 3, 2, 3, 3, 4, 7]);
    for (const r of rows) expect(Math.abs(r.rWithMain)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('refuses a study without a value in a subset column and duplicate thresholds', () => {
    const bad = studies.map((s, i) => (i === 2 ? { ...s, columns: {} } : s));
    expectNamed(() => planSweep({ subsets: ['modality'] }, bad, { threshold: 5.1, diameterMm: 6 }), 'InvalidParameter');
    expectNamed(() => planSweep({ thresholds: [5, 5] }, studies, { threshold: 5.1, diameterMm: 6 }), 'InvalidParameter');
    expectNamed(() => planSweep({ sphereDiameterMm: [0] }, studies, { threshold: 5.1, diameterMm: 6 }), 'InvalidParameter');
    // no sweep: the job's own settings are the single variant
    expect(planSweep({}, studies, { threshold: 5.1, diameterMm: 6 }).variants.map((v) => v.name)).toEqual(['t5.1_d6mm']);
    expect(geometryId('x', 6)).toBe('x@d6mm');
  });
});
