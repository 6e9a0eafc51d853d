/**
 * The reducers' output writer with overlapping writes: outputs listed in the order the writes
 * were started, every file readable from memory before it is stored, a map's remembered values
 * equal to reading the stored file back (the plain way), failures surfacing in settled() and in
 * the report's build rather than as unhandled rejections, and finishJob writing result.json
 * only after every write is stored.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readNifti } from '../shared/nifti/index.ts';
import { finishJob, outputWriter } from '../shared/pipelines/common/finish.ts';
import { RUN_STARTED_ENV, runStartMs, writerSource } from '../shared/pipelines/common/outputs.ts';
import { niftiOf } from '../shared/report/index.ts';
import { LocalStore } from '../shared/storage/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'nb-writer-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  const env = { store, layout: { work: (id: string, ...p: (string | number)[]) => ['.work/' + id, ...p].join('/'), results: (id: string, ...p: (string | number)[]) => [id, ...p].join('/') } };
  return { dir, store, env };
}

const grid = { dims: [6, 5, 4], affine: [2, 0, 0, -6, 0, 2, 0, -5, 0, 0, 2, -4, 0, 0, 0, 1], pixdim: [2, 2, 2] };
const data = (k: number) => Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * 0.37 + k) * 4);

describe('outputWriter with overlapping writes', () => {
  it('lists files in call order, serves them before they are stored, and remembers map values equal to the stored file', async () => {
    const { dir, env } = setup();
    const w = outputWriter(env, 'j1', { grid, space: { sformCode: 2, qformCode: 1 } });
    const pending = [
      w.putMap('maps/a_t.nii.gz', data(1), { kind: 't', dof: 9, description: 'a t' }),
      w.put('tables/x.csv', 'a,b\n1,2\n'),
      w.putMap('maps/b_z.nii.gz', Array.from(data(2)), { kind: 'z', description: 'b z' }),
      w.putMap('maps/c_mask.nii.gz', data(3).map((v) => (v > 0 ? 1 : 0)), { kind: 'mask', description: 'c' }, { datatype: 'uint8' }),
      w.putTable('tables/y', [['n', 'n']], [[1], [2]]),
    ];
    expect(w.outputs).toEqual(['maps/a_t.nii.gz', 'maps/a_t.json', 'tables/x.csv', 'maps/b_z.nii.gz', 'maps/b_z.json', 'maps/c_mask.nii.gz', 'maps/c_mask.json', 'tables/y.csv', 'tables/y.tsv']);
    const src = writerSource(env, 'j1', w.outputs, undefined, w.written);
    // readable from memory right away
    expect(new TextDecoder().decode(await src.read('tables/x.csv'))).toBe('a,b\n1,2\n');
    const fromMemory = await src.read('maps/b_z.nii.gz');
    await Promise.all(pending);
    await w.settled();
    for (const rel of ['maps/a_t.nii.gz', 'maps/b_z.nii.gz', 'maps/c_mask.nii.gz']) {
      const stored = new Uint8Array(readFileSync(join(dir, 'j1', rel)));
      const b = (await src.read(rel))!;
      expect(Buffer.from(b).equals(Buffer.from(stored))).toBe(true);
      // the remembered image is what reading the stored file gives, header and values
      const plain = readNifti(stored, rel);
      const mem = niftiOf(b, rel);
      expect(mem.header).toEqual(plain.header);
      expect(Buffer.from(mem.data.buffer, mem.data.byteOffset, mem.data.byteLength).equals(Buffer.from(plain.data.buffer, plain.data.byteOffset, plain.data.byteLength))).toBe(true);
    }
    expect(Buffer.from(fromMemory!).equals(readFileSync(join(dir, 'j1', 'maps/b_z.nii.gz')))).toBe(true);
    // a file not written by the writer still comes from the store
    expect(await src.read('tables/none.csv')).toBeUndefined();
  });

  it('a failed write rejects settled() (and its own promise) without an unhandled rejection', async () => {
    const { env } = setup();
    const failing = { ...env, store: Object.assign(Object.create(env.store), { put: async (key: string) => { if (key.endsWith('_z.nii.gz')) throw new Error(`disk full at ${key}`); } }) };
    const w = outputWriter(failing, 'j2', { grid });
    const p = w.putMap('maps/bad_z.nii.gz', data(1), { kind: 'z', description: 'z' });
    await expect(w.settled()).rejects.toThrow(/disk full at j2\/maps\/bad_z/);
    await expect(p).rejects.toThrow(/disk full/);
    // the job fails before its result record
    await env.store.put('j2/job.json', JSON.stringify({ jobId: 'j2', pipeline: 'tx', inputs: {}, params: {} }));
    const result = { pipeline: 'tx', jobId: 'j2', specHash: 'abc', methods: 'm', outputs: [] as string[] };
    await expect(finishJob(failing, 'j2', result, ['job.json', ...w.outputs, 'result.json'], { writer: w })).rejects.toThrow(/disk full/);
    await expect(env.store.get('j2/result.json')).rejects.toThrow();
  });

  it('finishJob builds the report while maps are still being written and writes result.json after them', async () => {
    const { dir, store, env } = setup();
    await store.put('j3/job.json', JSON.stringify({ jobId: 'j3', pipeline: 'tx', seed: 1, inputs: {}, params: {} }));
    const w = outputWriter(env, 'j3', { grid });
    void w.putMap('maps/effect_z.nii.gz', data(4), { kind: 'z', description: 'effect z' });
    void w.putTable('tables/peaks', [['x', 'peak_x_mm'], ['y', 'peak_y_mm'], ['z', 'peak_z_mm']], [[0, 0, 0]]);
    const result = { pipeline: 'tx', jobId: 'j3', specHash: 'abc', methods: 'm', outputs: [] as string[] };
    await finishJob(env, 'j3', result, ['job.json', ...w.outputs, 'result.json'], { writer: w });
    const written = JSON.parse(readFileSync(join(dir, 'j3', 'result.json'), 'utf8')) as { outputs: string[] };
    expect(written.outputs).toEqual(['job.json', 'dataset_description.json', 'maps/effect_z.nii.gz', 'maps/effect_z.json', 'tables/peaks.csv', 'tables/peaks.tsv', 'report.html', 'result.json']);
    for (const f of written.outputs) expect(readFileSync(join(dir, 'j3', f)).length).toBeGreaterThan(0);
    const page = readFileSync(join(dir, 'j3', 'report.html'), 'utf8');
    expect(page).toContain('effect_z');
    expect(page.match(/<table data-table="/g)).toHaveLength(1);
  });
});

describe('run time of the report', () => {
  it("counts from the runner's start when it recorded one, else from the first worker's", () => {
    const metrics = [{ startedAt: '2026-01-01T10:00:05.000Z' }, { startedAt: '2026-01-01T10:00:02.500Z' }, { startedAt: 'garbage' }];
    expect(runStartMs(metrics, { [RUN_STARTED_ENV]: '2026-01-01T10:00:01.000Z' })).toBe(Date.parse('2026-01-01T10:00:01.000Z'));
    expect(runStartMs(metrics, {})).toBe(Date.parse('2026-01-01T10:00:02.500Z'));
    expect(runStartMs(metrics, { [RUN_STARTED_ENV]: 'not a time' })).toBe(Date.parse('2026-01-01T10:00:02.500Z'));
    expect(runStartMs([], {})).toBeUndefined();
  });

  it('finishJob writes the run time from the run start into the report', async () => {
    const { dir, store, env } = setup();
    await store.put('j4/job.json', JSON.stringify({ jobId: 'j4', pipeline: 'tx', inputs: {}, params: {} }));
    // Validate's metrics record, 2 s after the run began
    await store.put('.work/j4/abc/metrics/validate/validate.json', JSON.stringify({ task: 'validate', shard: 'validate', billedMs: 100, startedAt: new Date(Date.now() - 3000).toISOString() }));
    const before = process.env[RUN_STARTED_ENV];
    process.env[RUN_STARTED_ENV] = new Date(Date.now() - 5000).toISOString();
    try {
      await finishJob(env, 'j4', { pipeline: 'tx', jobId: 'j4', specHash: 'abc', methods: 'm', outputs: [] as string[] }, ['job.json', 'result.json']);
    } finally {
      if (before === undefined) delete process.env[RUN_STARTED_ENV];
      else process.env[RUN_STARTED_ENV] = before;
    }
    const seconds = Number(/run time<\/dt><dd>([0-9.]+) s/.exec(readFileSync(join(dir, 'j4', 'report.html'), 'utf8'))![1]);
    expect(seconds).toBeGreaterThanOrEqual(5);
    expect(seconds).toBeLessThan(60);
  });
});
