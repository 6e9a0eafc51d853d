import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from './helpers/rng.ts';
import { tmpDir } from './helpers/tmp.ts';
import { packConnectome } from '../bin/connectome.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { connectomeManifestSchema } from '../shared/netmap/connectome.ts';

const affine = Float64Array.from([-4, 0, 0, 20, 0, 4, 0, -20, 0, 0, 4, -10, 0, 0, 0, 1]);
const dims = [6, 5, 4];

function run4d(path: string, T: number, seed: number, d = dims, a = affine): Float32Array {
  const r = rng(seed);
  const data = new Float32Array(d[0]! * d[1]! * d[2]! * T).map(() => 100 + r.z());
  writeFileSync(path, writeNifti({ dims: [...d, T], affine: a, pixdim: [4, 4, 4, 2], data }, { datatype: 'float32' }));
  return data;
}

describe('neuroburst connectome pack', () => {
  it('writes demeaned in-mask series per subject, runs concatenated, and a valid manifest', async () => {
    const dir = tmpDir('nb-pack-');
    const mask = new Float32Array(120).map((_, g) => (g % 3 === 0 ? 0 : 1));
    writeFileSync(join(dir, 'mask.nii.gz'), writeNifti({ dims, affine, pixdim: [4, 4, 4], data: mask }, { datatype: 'float32' }));
    const a1 = run4d(join(dir, 'a1.nii.gz'), 8, 1);
    run4d(join(dir, 'a2.nii.gz'), 6, 2);
    run4d(join(dir, 'b1.nii.gz'), 7, 3);
    writeFileSync(join(dir, 'runs.tsv'), 'subject\trun\nsub-a\ta1.nii.gz\nsub-a\ta2.nii.gz\nsub-b\tb1.nii.gz\n');
    const m = await packConnectome(join(dir, 'runs.tsv'), join(dir, 'mask.nii.gz'), join(dir, 'conn'), 'test');
    expect(m.voxels).toBe(80);
    expect(m.subjects.map((s) => [s.id, s.runs])).toEqual([['sub-a', [8, 6]], ['sub-b', [7]]]);
    expect(connectomeManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'conn', 'connectome.json'), 'utf8'))).name).toBe('test');
    const bytes = readFileSync(join(dir, 'conn', 'subjects', 'sub-a.f32'));
    expect(bytes.byteLength).toBe((8 + 6) * 80 * 4);
    const x = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    // first in-mask voxel is grid voxel 1; its run-1 series demeaned by hand
    const series = Array.from({ length: 8 }, (_, t) => a1[t * 120 + 1]!);
    const mean = series.reduce((s, v) => s + v, 0) / 8;
    for (let t = 0; t < 8; t++) expect(x[t * 80]).toBeCloseTo(series[t]! - mean, 4);
  });
  it('refuses a run on another grid with a named error', async () => {
    const dir = tmpDir('nb-pack-');
    writeFileSync(join(dir, 'mask.nii.gz'), writeNifti({ dims, affine, pixdim: [4, 4, 4], data: new Float32Array(120).fill(1) }, { datatype: 'float32' }));
    run4d(join(dir, 'a1.nii.gz'), 8, 1);
    run4d(join(dir, 'b1.nii.gz'), 8, 2, [6, 5, 5]);
    writeFileSync(join(dir, 'runs.csv'), 'subject,run\nsub-a,a1.nii.gz\nsub-b,b1.nii.gz\n');
    await expect(packConnectome(join(dir, 'runs.csv'), join(dir, 'mask.nii.gz'), join(dir, 'conn'))).rejects.toMatchObject({ name: 'SpaceMismatch' });
  });
});
