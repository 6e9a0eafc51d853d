/**
 * netmap validation stages in the same job as the mapping (embedded runner): study-level ROI
 * tests, lesion-mask group tests, 10–20 electrode spheres of a configurable diameter and
 * per-label values of an atlas — each checked against a plain computation on the job's own
 * overlap map (sphere loops, Welch t, Welch–Satterthwaite df, exact split enumeration).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers/tmp.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { runLocal } from '../runner/local.ts';

const demo = demoConnectome(3, 12, 40);
const gm = demo.manifest.grid;
const [nx, ny, nz] = gm.dims;
const N = nx * ny * nz;
const mm = (v: number): [number, number, number] => [69 - 6 * (v % nx), 6 * (Math.floor(v / nx) % ny) - 105, 6 * Math.floor(v / (nx * ny)) - 60];
const nifti = (data: Float32Array, datatype: 'uint8' | 'int16' | 'float32' = 'uint8') => writeNifti({ dims: gm.dims, affine: Float64Array.from(gm.affine), pixdim: gm.pixdim, data }, { datatype });

const SEEDS = ['study,x,y,z', 'thalA,-9,-21,6', 'thalA,-15,-15,0', 'thalB,-15,-15,6', 'cereb,33,-63,-30', 'occip,-27,-87,6'].join('\n') + '\n';
const NEAR = ['study,x,y,z', 'n1,-9,-21,6', 'n2,33,-63,-30', 'n3,-15,-15,0', 'n3,-15,-21,6'].join('\n') + '\n';
const FAR = ['study,x,y,z', 'f1,-27,-87,6', 'f2,27,-87,6', 'f3,-3,39,24'].join('\n') + '\n';

function welch(a: number[], b: number[]) {
  const m = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
  const v = (x: number[]) => x.reduce((s, y) => s + (y - m(x)) ** 2, 0) / (x.length - 1);
  const [qa, qb] = [v(a) / a.length, v(b) / b.length];
  return { t: (m(a) - m(b)) / Math.sqrt(qa + qb), df: (qa + qb) ** 2 / (qa ** 2 / (a.length - 1) + qb ** 2 / (b.length - 1)) };
}

/** Exact two-sided split p of |Welch t|: every way to choose |a| of the pooled values. */
function exactP(a: number[], b: number[]): number {
  const pool = [...a, ...b];
  const obs = Math.abs(welch(a, b).t);
  let hits = 0;
  let total = 0;
  const choose = (start: number, picked: number[]) => {
    if (picked.length === a.length) {
      const A = picked.map((i) => pool[i]!);
      const B = pool.filter((_, i) => !picked.includes(i));
      total++;
      if (Math.abs(welch(A, B).t) >= obs - 1e-12 * obs) hits++;
      return;
    }
    for (let i = start; i < pool.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return hits / total;
}

describe('netmap validation stages in the mapping job', () => {
  let out = '';
  let result: any;
  let overlap: Float32Array;
  const lesions: Record<string, Float32Array> = {};

  beforeAll(async () => {
    const base = tmpDir('nb-connectome-');
    await writeConnectome(new LocalStore(base), '', demo.manifest, nifti(Float32Array.from(demo.mask)), (s) => demo.runs[s]!);
    const dir = tmpDir('nb-netmap-val-');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'seeds.csv'), SEEDS);
    writeFileSync(join(dir, 'in', 'near.csv'), NEAR);
    writeFileSync(join(dir, 'in', 'far.csv'), FAR);
    // atlas: four quadrant labels (left/right × inferior/superior) inside the connectome mask
    const atlas = new Float32Array(N);
    for (let v = 0; v < N; v++) if (demo.mask[v]) atlas[v] = 1 + (v % nx < nx / 2 ? 0 : 1) + (Math.floor(v / (nx * ny)) < nz / 2 ? 0 : 2);
    writeFileSync(join(dir, 'in', 'atlas.nii.gz'), nifti(atlas, 'int16'));
    writeFileSync(join(dir, 'in', 'atlas.csv'), 'index,name\n1,LI\n2,RI\n3,LS\n4,RS\n');
    // lesion masks: cubes of 3×3×3 voxels at given voxel corners
    const cube = (i0: number, j0: number, k0: number) => {
      const m = new Float32Array(N);
      for (let k = k0; k < k0 + 3; k++) for (let j = j0; j < j0 + 3; j++) for (let i = i0; i < i0 + 3; i++) m[i + nx * (j + ny * k)] = 1;
      return m;
    };
    const corners: Record<string, [number, number, number]> = { e1: [12, 13, 10], e2: [5, 5, 4], e3: [13, 11, 11], o1: [14, 1, 10], o2: [9, 2, 11], o3: [10, 20, 14] };
    for (const [name, c] of Object.entries(corners)) {
      lesions[name] = cube(...c);
      writeFileSync(join(dir, 'in', `${name}.nii.gz`), nifti(lesions[name]!));
    }
    const job = {
      jobId: 'val',
      pipeline: 'netmap',
      seed: 3,
      inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv', atlas: 'atlas.nii.gz', atlasLabels: 'atlas.csv' },
      params: {
        threshold: 4,
        sphereDiameterMm: 12,
        validation: { peaks: 3, eeg: true, eegDiameterMm: 14, labelValues: true },
        roiTests: { groups: { near: 'near.csv', far: 'far.csv' } },
        lesionTests: { groups: { epilepsy: ['e1.nii.gz', 'e2.nii.gz', 'e3.nii.gz'], other: ['o1.nii.gz', 'o2.nii.gz', 'o3.nii.gz'] }, permutations: 5000 },
      },
    };
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify(job));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    if (outcome.status !== 'succeeded') throw new Error(JSON.stringify(outcome));
    out = join(dir, 'out', 'val');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    overlap = readNifti(readFileSync(join(out, 'maps/overlap.nii.gz')), 'overlap').data;
  }, 180_000);

  /** plain mean of the overlap over connectome voxels within r mm of any point */
  const sphereMean = (points: [number, number, number][], r: number) => {
    let s = 0;
    let n = 0;
    for (let v = 0; v < N; v++) {
      if (!demo.mask[v]) continue;
      const p = mm(v);
      if (points.some((c) => (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2 <= r * r)) (s += overlap[v]!), n++;
    }
    return { mean: s / n, voxels: n };
  };

  it('study-level ROI test: mean overlap per study ROI, Welch t and the exact split p against plain computations', () => {
    const group = (csv: string) => {
      const by = new Map<string, [number, number, number][]>();
      for (const line of csv.trim().split('\n').slice(1)) {
        const [s, x, y, z] = line.split(',');
        by.set(s!, [...(by.get(s!) ?? []), [Number(x), Number(y), Number(z)]]);
      }
      return [...by.values()].map((pts) => sphereMean(pts, 6).mean);
    };
    const a = group(NEAR);
    const b = group(FAR);
    const r = result.validation.roiTests;
    expect(r.groups).toEqual(['near', 'far']);
    expect(r.sphereDiameterMm).toBe(12);
    expect(r.means[0]).toBeCloseTo(a.reduce((s, x) => s + x, 0) / 3, 5);
    const w = welch(a, b);
    expect(r.welch.t).toBeCloseTo(w.t, 4);
    expect(r.welch.df).toBeCloseTo(w.df, 3);
    expect(r.welch.t).toBeGreaterThan(0);
    expect(r.permutation).toMatchObject({ exact: true, permutations: 20 });
    expect(r.permutation.p).toBeCloseTo(exactP(a, b), 6);
    expect(readFileSync(join(out, 'tables/roi_tests.csv'), 'utf8').trim().split('\n')).toHaveLength(7);
  });

  it('lesion-mask group test: mean overlap per mask and the two-sample test against plain computations', () => {
    const mean = (m: Float32Array) => {
      let s = 0;
      let n = 0;
      for (let v = 0; v < N; v++) if (m[v]) (s += overlap[v]!), n++;
      return s / n;
    };
    const a = ['e1', 'e2', 'e3'].map((k) => mean(lesions[k]!));
    const b = ['o1', 'o2', 'o3'].map((k) => mean(lesions[k]!));
    const r = result.validation.lesionTests;
    expect(r.groups).toEqual(['epilepsy', 'other']);
    expect(r.means[1]).toBeCloseTo(b.reduce((s, x) => s + x, 0) / 3, 5);
    const w = welch(a, b);
    expect([...a, ...b].filter((x) => x !== 0).length).toBeGreaterThan(1);
    expect(r.welch.t).toBeCloseTo(w.t, 4);
    expect(r.permutation.p).toBeCloseTo(exactP(a, b), 6);
  });

  it('10–20 electrode spheres use the given DIAMETER (14 mm → radius 7 mm)', () => {
    const eeg = result.validation.eeg;
    expect(eeg).toHaveLength(19);
    for (const e of eeg.slice(0, 5)) {
      const plain = sphereMean([e.mni], 7);
      expect(e.voxels, e.label).toBe(Number.isFinite(plain.mean) ? plain.voxels : 0);
      if (plain.voxels) expect(e.mean).toBeCloseTo(plain.mean, 5);
    }
  });

  it('per-label values of the atlas, ranked by mean overlap, with the label names', () => {
    const rows = result.validation.labelValues;
    expect(rows.map((r: any) => r.rank)).toEqual([1, 2, 3, 4]);
    for (const r of rows) {
      let s = 0;
      let n = 0;
      for (let v = 0; v < N; v++) {
        if (!demo.mask[v]) continue;
        const l = 1 + (v % nx < nx / 2 ? 0 : 1) + (Math.floor(v / (nx * ny)) < nz / 2 ? 0 : 2);
        if (l === r.label) (s += overlap[v]!), n++;
      }
      expect(r.voxels).toBe(n);
      expect(r.mean).toBeCloseTo(s / n, 5);
      expect(r.name).toBe(['LI', 'RI', 'LS', 'RS'][r.label - 1]);
    }
    for (let i = 1; i < rows.length; i++) expect(rows[i].mean).toBeLessThanOrEqual(rows[i - 1].mean);
    expect(readFileSync(join(out, 'tables/overlap_label_values.csv'), 'utf8').split('\n')[0]).toBe('rank,label,name,voxels,mean_overlap');
  });

  it('refuses an ROI test with one group', async () => {
    const dir = tmpDir('nb-netmap-val-bad-');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'seeds.csv'), SEEDS);
    writeFileSync(join(dir, 'in', 'near.csv'), NEAR);
    const base = tmpDir('nb-connectome-');
    await writeConnectome(new LocalStore(base), '', demo.manifest, nifti(Float32Array.from(demo.mask)), (s) => demo.runs[s]!);
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify({ jobId: 'valbad', pipeline: 'netmap', inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv' }, params: { roiTests: { groups: { near: 'near.csv' } } } }));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 1 });
    expectFailedJob(outcome, join(dir, 'out', 'valbad'), 'InvalidParameter', { message: /exactly two/ });
  }, 60_000);
});
