import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../shared/runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { smoothSpm } from '../shared/volume/smooth.ts';
import { VBM, vbmJob } from './helpers/fixture-job.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';

const tmp = () => tmpDir('nb-glm-');

async function run(jobPath: string, out: string) {
  return runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'glm', outDir: out, threads: 2 });
}

function stripVolatile(r: Record<string, unknown>) {
  const { cost: _c, shards: _s, methods: _m, specHash: _h, ...rest } = r;
  return rest;
}

describe('glm pipeline on the VBM fixture (embedded runner, same ASL as AWS)', () => {
  const runs: Record<number, { out: string; result: Record<string, any> }> = {};

  beforeAll(async () => {
    for (const slabs of [1, 3, 17]) {
      const dir = tmp();
      const out = join(dir, 'out');
      const outcome = await run(vbmJob(join(dir, 'in'), { params: { slabs } }), out);
      if (outcome.status !== 'succeeded') throw new Error(`${slabs} slabs: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      runs[slabs] = { out: join(out, 'vbm-fixture'), result: JSON.parse(readFileSync(join(out, 'vbm-fixture', 'result.json'), 'utf8')) };
    }
  });

  it('writes every declared output', () => {
    const { out, result } = runs[3]!;
    for (const f of ['maps/G1-G2_t.nii.gz', 'maps/G1-G2_z.nii.gz', 'maps/G1-G2_p.nii.gz', 'maps/G1-G2_grf.nii.gz', 'tables/G1-G2_clusters.csv', 'report.html', 'job.json', 'result.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(result.outputs).toContain(f);
    }
    expect(existsSync(join(out, 'error.json'))).toBe(false);
    const c = result.contrasts['G1-G2'];
    expect(c.dof).toBe(21);
    expect(c.zThreshold).toBeCloseTo(2.807034, 5);
    expect(result.mask.voxels).toBe(3264);
    expect(result.cost.estimatedUsd).toBeGreaterThan(0);
    expect(result.cost.actualUsd).toBeGreaterThan(0);
    const csv = readFileSync(join(out, 'tables/G1-G2_clusters.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('cluster,tail,voxels,volume_mm3,peak_t,peak_z,peak_x,peak_y,peak_z_mm,label');
    expect(csv.length - 1).toBe(c.clusters.length);
  });

  it('gives bit-identical maps and numbers for 1, 3 and 17 slabs', () => {
    expect(runs[1]!.result.shards.slabs).toBe(1);
    expect(runs[3]!.result.shards.slabs).toBe(3);
    expect(runs[17]!.result.shards.slabs).toBe(17);
    for (const slabs of [3, 17]) {
      expect(stripVolatile(runs[slabs]!.result)).toEqual(stripVolatile(runs[1]!.result));
      for (const f of ['t', 'z', 'p', 'grf']) {
        const a = readNifti(readFileSync(join(runs[1]!.out, `maps/G1-G2_${f}.nii.gz`)), f).data;
        const b = readNifti(readFileSync(join(runs[slabs]!.out, `maps/G1-G2_${f}.nii.gz`)), f).data;
        expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer)), `${f} with ${slabs} slabs`).toBe(true);
      }
    }
  });

  it('matches an independent least-squares fit of the smoothed maps', () => {
    const design = readFileSync(join(VBM, 'vbm_design.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const mask = readNifti(readFileSync(join(VBM, 'vbm_mask.nii.gz')), 'mask').data;
    const maps = design.map(([s]) => {
      const v = readNifti(readFileSync(join(VBM, `vbm_gm_${s}.nii.gz`)), s!);
      return smoothSpm(v.data, [20, 24, 20], [1.5, 1.5, 1.5], 3);
    });
    const t = readNifti(readFileSync(join(runs[3]!.out, 'maps/G1-G2_t.nii.gz')), 't').data;
    // DPABI design [label, 1, TIV]; normal equations solved by Gauss-Jordan in plain numbers
    const X = design.map(([, , label, tiv]) => [Number(label), 1, Number(tiv)]);
    const XtX = [0, 1, 2].map((a) => [0, 1, 2].map((b) => X.reduce((s, r) => s + r[a]! * r[b]!, 0)));
    const inv = invert3(XtX);
    let worst = 0;
    let checked = 0;
    for (let v = 0; v < mask.length; v += 7) {
      if (!mask[v]) continue;
      const y = maps.map((m) => m[v]!);
      const Xty = [0, 1, 2].map((a) => X.reduce((s, r, i) => s + r[a]! * y[i]!, 0));
      const b = inv.map((row) => row.reduce((s, x, j) => s + x * Xty[j]!, 0));
      const rss = y.reduce((s, yi, i) => s + (yi - (X[i]![0]! * b[0]! + X[i]![1]! * b[1]! + X[i]![2]! * b[2]!)) ** 2, 0);
      const tRef = b[0]! / Math.sqrt((rss / 21) * inv[0]![0]!);
      worst = Math.max(worst, Math.abs(t[v]! - tRef) / Math.max(1, Math.abs(tRef)));
      checked++;
    }
    expect(checked).toBeGreaterThan(400);
    expect(worst).toBeLessThan(1e-4);
  });

  it('finds the planted effects: positive cluster near voxel (6,8,9), negative near (13,16,10)', () => {
    const c = runs[1]!.result.contrasts['G1-G2'];
    const affine = [-1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1.5, 0];
    const hdr = readNifti(readFileSync(join(VBM, 'vbm_mask.nii.gz')), 'mask').header.affine;
    const toMm = (i: number, j: number, k: number) => [0, 1, 2].map((r) => hdr[r * 4]! * i + hdr[r * 4 + 1]! * j + hdr[r * 4 + 2]! * k + hdr[r * 4 + 3]!);
    void affine;
    const near = (mni: number[], ijk: [number, number, number]) => Math.hypot(...mni.map((x, d) => x - toMm(...ijk)[d]!)) < 4.5;
    expect(c.clusters.some((k: any) => k.tail === '+' && near(k.peakMni, [6, 8, 9]))).toBe(true);
    expect(c.clusters.some((k: any) => k.tail === '-' && near(k.peakMni, [13, 16, 10]))).toBe(true);
    for (const k of c.clusters) expect(k.voxels).toBeGreaterThanOrEqual(c.clusterSizeThreshold);
  });
});

function invert3(m: number[][]): number[][] {
  const a = m.map((r, i) => [...r, ...[0, 1, 2].map((j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const d = a[c]![c]!;
    for (let j = 0; j < 6; j++) a[c]![j]! /= d;
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 6; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  return a.map((r) => r.slice(3));
}

describe('glm pipeline: bad input gives a named error.json and no result', () => {
  async function expectFailure(jobPath: string, error: string, inputPattern?: RegExp) {
    const out = join(tmp(), 'out');
    const outcome = await run(jobPath, out);
    const job = JSON.parse(readFileSync(jobPath, 'utf8'));
    const id = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(job.jobId) ? job.jobId : 'invalid-job';
    const rec = expectFailedJob(outcome, join(out, id), error, { input: inputPattern });
    expect(rec.message.length).toBeGreaterThan(10);
    return rec;
  }

  it('mismatched dims', async () => {
    await expectFailure(vbmJob(join(tmp(), 'in'), { inputs: { mask: join(VBM, 'reho_mask.nii.gz') } }), 'SpaceMismatch', /inputs\.mask/);
  });

  it('a missing map', async () => {
    await expectFailure(vbmJob(join(tmp(), 'in'), { edit: (rows) => (rows[4]![3] = join(VBM, 'nope.nii.gz')) }), 'MissingInput', /sub05/);
  });

  it('an unreadable (non-NIfTI) map', async () => {
    const dir = join(tmp(), 'in');
    const jp = vbmJob(dir, { edit: (rows) => (rows[2]![3] = 'garbage.nii') });
    writeFileSync(join(dir, 'garbage.nii'), 'this is not an image'.repeat(40));
    await expectFailure(jp, 'InvalidNifti', /sub03/);
  });

  it('a group with one subject', async () => {
    await expectFailure(vbmJob(join(tmp(), 'in'), { edit: (rows) => (rows[0]![1] = 'G3'), params: { contrasts: ['G3-G1'] } }), 'InvalidParticipants', /contrasts/);
  });

  it('a contrast naming an unknown group', async () => {
    await expectFailure(vbmJob(join(tmp(), 'in'), { params: { contrasts: ['G1-DRE'] } }), 'InvalidJobSpec', /params\.contrasts\[0\]/);
  });

  it('a singular design (collinear covariates)', async () => {
    const dir = join(tmp(), 'in');
    const jp = vbmJob(dir, { params: { covariates: ['TIV', 'TIV2'] } });
    const p = join(dir, 'participants.tsv');
    const lines = readFileSync(p, 'utf8').trim().split('\n');
    writeFileSync(p, lines.map((l, i) => (i === 0 ? l + '\tTIV2' : `${l}\t${2 * Number(l.split('\t')[2])}`)).join('\n') + '\n');
    await expectFailure(jp, 'SingularDesign');
  });

  it('a NaN-only map', async () => {
    const dir = join(tmp(), 'in');
    const jp = vbmJob(dir, { edit: (rows) => (rows[6]![3] = 'nan.nii.gz') });
    const ref = readNifti(readFileSync(join(VBM, 'vbm_gm_sub01.nii.gz')), 'ref').header;
    writeFileSync(join(dir, 'nan.nii.gz'), writeNifti({ dims: [20, 24, 20], affine: ref.affine, data: new Float32Array(20 * 24 * 20).fill(NaN) }, { datatype: 'float32' }));
    await expectFailure(jp, 'EmptyData', /sub07/);
  });

  it('an unsafe key', async () => {
    await expectFailure(vbmJob(join(tmp(), 'in'), { inputs: { mask: '../../etc/mask.nii.gz' } }), 'UnsafeInputKey', /\.\./);
  });

  it('an over-budget job is refused before fan-out', async () => {
    const out = join(tmp(), 'out');
    const rec = await expectFailure(vbmJob(join(tmp(), 'in'), { budget: { maxUsd: 1e-9 } }), 'BudgetExceeded', /budget/);
    expect(rec!.message).toMatch(/estimated cost/);
    void out;
  });

  it('a job.json that is not valid', async () => {
    const dir = tmp();
    const jp = join(dir, 'job.json');
    writeFileSync(jp, JSON.stringify({ jobId: 'bad', pipeline: 'glm', inputs: { participants: 'p.tsv' }, params: { contrasts: ['A-B'], smoothFwhmMm: 'wide' } }));
    await expectFailure(jp, 'InvalidJobSpec', /smoothFwhmMm/);
  });
});
