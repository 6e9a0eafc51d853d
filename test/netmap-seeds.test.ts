import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { talToMni } from '../shared/ale/coordinates.ts';
import { parseTable } from '../shared/jobs/table.ts';
import { readNifti } from '../shared/nifti/index.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';
import { controlsTable, randomCoordinateControls } from '../shared/netmap/random-controls.ts';
import { coordinatesPerRegion, seedsFromCoordinates, seedsTable } from '../shared/netmap/seeds-from-coordinates.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { expectNamed } from './helpers/errors.ts';

const grid = { dims: [6, 5, 4] as [number, number, number], affine: [2, 0, 0, -6, 0, 2, 0, -4, 0, 0, 2, -2, 0, 0, 0, 1] };
const N = 120;
const mask = Uint8Array.from({ length: N }, (_, v) => (v % 3 === 0 ? 0 : 1));
const studies = [
  { study: 'A', coords: [[0, 0, 0], [2, 2, 2], [4, 0, 0]] as [number, number, number][] },
  { study: 'B', coords: [[0, 0, 0]] as [number, number, number][] },
  { study: 'C', coords: [[1, 1, 1], [3, 3, 3]] as [number, number, number][] },
];

describe('random-coordinate controls', () => {
  it('are reproducible from the seed and change with it', () => {
    const a = randomCoordinateControls(studies, grid, mask, { seed: 11, repetitions: 4 });
    expect(randomCoordinateControls(studies, grid, mask, { seed: 11, repetitions: 4 })).toEqual(a);
    expect(randomCoordinateControls(studies, grid, mask, { seed: 12, repetitions: 4 })).not.toEqual(a);
    expect(a).toHaveLength(4 * (3 + 1 + 2));
    expect(new Set(a.map((r) => r.study)).size).toBe(12);
  });

  it('control (study, repetition) depends only on (seed, study, repetition)', () => {
    const all = randomCoordinateControls(studies, grid, mask, { seed: 5, repetitions: 4 });
    const onlyC = randomCoordinateControls([studies[2]!], grid, mask, { seed: 5, repetitions: 2 });
    expect(all.filter((r) => r.source === 'C' && r.repetition <= 2)).toEqual(onlyC);
    const reordered = randomCoordinateControls([studies[2]!, studies[0]!, studies[1]!], grid, mask, { seed: 5, repetitions: 4 });
    const key = (r: { study: string; x: number; y: number; z: number }) => `${r.study}:${r.x},${r.y},${r.z}`;
    expect(reordered.map(key).sort()).toEqual(all.map(key).sort());
  });

  it('places each study\'s coordinates on distinct mask voxels (voxel centres)', () => {
    const rows = randomCoordinateControls(studies, grid, mask, { seed: 3, repetitions: 50 });
    const centres = new Map<string, number>();
    const aff = Float64Array.from(grid.affine);
    for (let v = 0; v < N; v++) centres.set(voxelToMm(aff, v % 6, Math.floor(v / 6) % 5, Math.floor(v / 30)).join(','), v);
    const byControl = new Map<string, string[]>();
    for (const r of rows) {
      const v = centres.get([r.x, r.y, r.z].join(','));
      expect(v).toBeDefined();
      expect(mask[v!]).toBe(1);
      byControl.set(r.study, [...(byControl.get(r.study) ?? []), `${v}`]);
    }
    for (const [name, vs] of byControl) {
      expect(new Set(vs).size).toBe(vs.length);
      expect(vs.length).toBe(studies.find((s) => name.startsWith(`${s.study}_rand`))!.coords.length);
    }
  });

  it('is uniform over the mask voxels (chi-square over 8 voxels, 4000 draws, below the 0.999 quantile 24.32 of χ²₇)', () => {
    const small = new Uint8Array(N);
    for (const v of [1, 7, 20, 33, 50, 64, 99, 119]) small[v] = 1;
    const rows = randomCoordinateControls([{ study: 'one', coords: [[0, 0, 0]] }], grid, small, { seed: 9, repetitions: 4000 });
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(`${r.x},${r.y},${r.z}`, (counts.get(`${r.x},${r.y},${r.z}`) ?? 0) + 1);
    expect(counts.size).toBe(8);
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - 500) ** 2 / 500, 0);
    expect(chi2).toBeLessThan(24.32);
  });

  it('writes a seeds table (study,x,y,z,…) that parses back to the same rows', () => {
    const rows = randomCoordinateControls(studies, grid, mask, { seed: 1, repetitions: 2 });
    const t = parseTable(controlsTable(rows), 'controls.csv');
    expect(t.columns).toEqual(['study', 'x', 'y', 'z', 'source_study', 'repetition']);
    expect(t.rows.map((r) => [r.study, Number(r.x), Number(r.y), Number(r.z), r.source_study, Number(r.repetition)])).toEqual(rows.map((r) => [r.study, r.x, r.y, r.z, r.source, r.repetition]));
  });

  it('refuses bad input with named errors', () => {
    expectNamed(() => randomCoordinateControls(studies, grid, new Uint8Array(N), { seed: 1, repetitions: 1 }), 'EmptyData');
    expectNamed(() => randomCoordinateControls(studies, grid, mask, { seed: 1, repetitions: 0 }), 'InvalidParameter');
    expectNamed(() => randomCoordinateControls([...studies, studies[0]!], grid, mask, { seed: 1, repetitions: 1 }), 'InvalidParameter');
    expectNamed(() => randomCoordinateControls(studies, grid, new Uint8Array(5), { seed: 1, repetitions: 1 }), 'SpaceMismatch');
  });
});

describe('seeds from Sleuth text and NiMARE JSON', () => {
  it('Sleuth in Talairach: foci converted to MNI as in ALE; experiment names made study names', () => {
    const text = ['// Reference=Talairach', '// Smith 2010: IGE > controls', '// Subjects=20', '10 -20 5', '-12\t-18\t6', '', '// Jones, 2012 (GTCS)', '// Subjects=15', '30 -66 -30', ''].join('\n');
    const rows = seedsFromCoordinates(text, 'foci.txt');
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.space)).toEqual(['TAL', 'TAL', 'TAL']);
    const m = talToMni(10, -20, 5);
    expect([rows[0]!.x, rows[0]!.y, rows[0]!.z]).toEqual(m);
    expect(rows.every((r) => /^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$/.test(r.study))).toBe(true);
    expect(new Set(rows.map((r) => r.study)).size).toBe(2);
    const t = parseTable(seedsTable(rows), 'seeds.csv');
    expect(t.columns.slice(0, 4)).toEqual(['study', 'x', 'y', 'z']);
    expect(Number(t.rows[0]!.x)).toBeCloseTo(m[0], 4);
  });

  it('NiMARE dataset JSON in MNI', () => {
    const doc = { s1: { contrasts: { c1: { coords: { space: 'MNI', x: [1, 2], y: [3, 4], z: [5, 6] }, metadata: { sample_sizes: [12] } } } }, s2: { contrasts: { c1: { coords: { space: 'MNI', x: [-8], y: [-20], z: [4] }, metadata: { sample_sizes: [9] } } } } };
    const rows = seedsFromCoordinates(JSON.stringify(doc), 'ds.json');
    expect(rows.map((r) => [r.study, r.x, r.y, r.z])).toEqual([['s1-c1', 1, 3, 5], ['s1-c1', 2, 4, 6], ['s2-c1', -8, -20, 4]]);
  });
});

describe('share of coordinates per atlas region', () => {
  it('assigns each coordinate its nearest voxel\'s label; percentages sum to 100', () => {
    const atlas = new Float32Array(N);
    atlas.fill(3, 0, 30); // k = 0 slab
    atlas.fill(7, 30, 60); // k = 1
    const rows = coordinatesPerRegion([[-6, -4, -2], [-5.2, -3.1, -1.4], [0, 0, 0.1], [-6, -4, 4], [100, 0, 0]], atlas, grid, new Map([[3, 'Thalamus_L']]));
    expect(rows).toEqual([
      { label: 0, name: 'outside atlas regions', count: 2, percent: 40 },
      { label: 3, name: 'Thalamus_L', count: 2, percent: 40 },
      { label: 7, name: 'label 7', count: 1, percent: 20 },
    ]);
  });

  it('AAL: the IGE network\'s thalamic peak (−9, −21, 0) falls in Thalamus_L (77)', () => {
    const aal = readNifti(new Uint8Array(readFileSync(join(FIXTURES, 'network', 'AAL_618361.nii'))), 'AAL');
    const g = { dims: [61, 83, 61] as [number, number, number], affine: aal.header.affine };
    const rows = coordinatesPerRegion([[-9, -21, 0], [10, -18, 6], [-9.9, -20.2, 1]], aal.data, g);
    expect(rows.find((r) => r.label === 77)!.count).toBe(2);
  });
});
