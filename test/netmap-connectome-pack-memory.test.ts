/**
 * `neuroburst connectome pack` streams subject by subject: in a child process (so the heap
 * is this run's alone, with --expose-gc), 300 small synthetic subjects are packed and the
 * live memory (heapUsed + arrayBuffers after two event-loop turns and full GCs, so freed
 * external buffers are released) is sampled after every 20th subject. The packed cohort is
 * 300 × 1728 voxels × 30 volumes × 4 bytes ≈ 62 MB; holding the packed runs (as the earlier
 * implementation did) grows memory by about that much (58 MB measured). The bound: at most
 * 8 MB above the first sample (subject 20) at any later sample.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRejectsNamed } from './helpers/errors.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'nb-pack-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SUBJECTS = 300;
const CHILD = `
const { writeFileSync } = await import('node:fs');
const { join } = await import('node:path');
const { writeNifti } = await import('./shared/nifti/index.ts');
const { packConnectome } = await import('./bin/connectome.ts');
const dir = process.env.PACK_DIR, N = Number(process.env.PACK_SUBJECTS);
const dims = [12, 12, 12], T = 30, nv = 12 * 12 * 12;
const affine = Float64Array.from([-3, 0, 0, 18, 0, 3, 0, -18, 0, 0, 3, -18, 0, 0, 0, 1]);
writeFileSync(join(dir, 'mask.nii'), writeNifti({ dims, affine, pixdim: [3, 3, 3], data: new Float32Array(nv).fill(1) }, { gzip: false }));
for (let f = 0; f < 3; f++) {
  const data = Float32Array.from({ length: nv * T }, (_, i) => 100 + Math.sin(i * (f + 1) * 0.37) + (i % 7) * 0.01);
  writeFileSync(join(dir, 'run' + f + '.nii'), writeNifti({ dims: [...dims, T], affine, pixdim: [3, 3, 3, 2], data }, { gzip: false }));
}
const rows = ['subject,run'];
for (let s = 0; s < N; s++) rows.push('sub-' + String(s).padStart(4, '0') + ',run' + (s % 3) + '.nii');
writeFileSync(join(dir, 'runs.csv'), rows.join('\\n') + '\\n');
const tick = () => new Promise((r) => setImmediate(r));
const used = async () => { await tick(); globalThis.gc(); await tick(); globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
const samples = [];
const m = await packConnectome(join(dir, 'runs.csv'), join(dir, 'mask.nii'), join(dir, 'conn'), 'mem', {
  onSubject: async (i) => { if ((i + 1) % 20 === 0) samples.push([i + 1, await used()]); },
});
console.log(JSON.stringify({ subjects: m.subjects.length, voxels: m.voxels, samples }));
`;

describe('connectome pack memory', () => {
  it(`packs ${SUBJECTS} subjects with memory that does not grow with the number of subjects`, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: ROOT,
      env: { ...process.env, PACK_DIR: dir, PACK_SUBJECTS: String(SUBJECTS) },
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { subjects: number; voxels: number; samples: [number, number][] };
    expect(r.subjects).toBe(SUBJECTS);
    expect(r.voxels).toBe(1728);
    const files = readdirSync(join(dir, 'conn', 'subjects'));
    expect(files).toHaveLength(SUBJECTS);
    const bytes = 1728 * 30 * 4;
    expect(statSync(join(dir, 'conn', 'subjects', files[0]!)).size).toBe(bytes);
    const u = r.samples.map(([, x]) => x);
    const growth = Math.max(...u) - u[0]!;
    console.log(`connectome pack: ${SUBJECTS} subjects (${((SUBJECTS * bytes) / 1e6).toFixed(1)} MB packed); live memory after GC every 20 subjects (MB): ${u.map((x) => (x / 1e6).toFixed(1)).join(' ')}; growth ${(growth / 1e6).toFixed(2)} MB`);
    expect(growth).toBeLessThan(8e6);
  }, 180_000);
});

describe('ConnectomeWriter', () => {
  it('writes the same files as writeConnectome; refuses a duplicate subject and a manifest of one subject', async () => {
    const { ConnectomeWriter, writeConnectome, CONNECTOME_FORMAT } = await import('../shared/netmap/connectome.ts');
    const put = (files: Map<string, string>) => ({ put: async (k: string, b: Uint8Array | string) => void files.set(k, typeof b === 'string' ? b : Buffer.from(b).toString('base64')) });
    const V = 4;
    const runs = [[Float32Array.from({ length: 12 }, (_, i) => i - 6)], [Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1), Float32Array.from({ length: 12 }, (_, i) => i % 2)]];
    const base = { format: CONNECTOME_FORMAT as typeof CONNECTOME_FORMAT, name: 'w', grid: { dims: [2, 2, 1] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], pixdim: [1, 1, 1] as [number, number, number] }, mask: 'mask.nii.gz' };
    const a = new Map<string, string>();
    const w = new ConnectomeWriter(put(a), 'pre', V);
    await w.writeMask('mask.nii.gz', new Uint8Array([1, 2, 3]));
    await w.addSubject('s1', runs[0]!);
    await w.addSubject('s2', runs[1]!);
    await expectRejectsNamed(w.addSubject('s2', runs[1]!), 'InvalidParameter');
    const manifest = await w.finish(base);
    expect(manifest.subjects).toEqual([{ id: 's1', file: 'subjects/s1.f32', runs: [3] }, { id: 's2', file: 'subjects/s2.f32', runs: [4, 3] }]);
    const b = new Map<string, string>();
    await writeConnectome(put(b), 'pre', manifest, new Uint8Array([1, 2, 3]), (s) => runs[s]!);
    expect([...a.entries()]).toEqual([...b.entries()]);
    const one = new ConnectomeWriter(put(new Map()), '', V);
    await one.addSubject('s1', runs[0]!);
    await expectRejectsNamed(one.finish(base), 'InvalidParameter', { input: 'connectome.json', message: /subjects/ });
  });
});
