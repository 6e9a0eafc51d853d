/**
 * The verified task store (intermediates under the work prefix sealed and checked), the
 * resume ledger it keeps, the content-addressed spec hash, the upload-key job id and the
 * results-folder cleanup.
 */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { open } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { LocalStore, ENVELOPE_HEADER_BYTES, openEnvelope } from '../shared/storage/index.ts';
import { isIntermediate, verifiedWorkStore } from '../shared/storage/work-store.ts';
import { newLedger, withLedger } from '../shared/runtime/ledger.ts';
import { inputUris, jobLocation } from '../shared/pipelines/common/context.ts';
import { uploadJobId } from '../shared/jobs/upload-key.ts';
import { clearResultsFolder } from '../shared/jobs/results-folder.ts';
import type { Layout } from '../shared/jobs/layout.ts';
import { expectRejectsNamed } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';

const layout: Layout = {
  work: (jobId, ...parts) => ['.work/' + jobId, ...parts.map(String)].join('/'),
  results: (jobId, ...parts) => [jobId, ...parts.map(String)].join('/'),
};

describe('verified work store', () => {
  it('seals intermediates under the work prefix only; Step Functions objects and job folders stay plain', () => {
    expect(isIntermediate('.work/j/h/slabs/00001/t_0.f32', '.work/')).toBe(true);
    expect(isIntermediate('.work/j/h/observed.json', '.work/')).toBe(true);
    for (const k of ['.work/j/h/context.json', '.work/j/h/inputs.json', '.work/j/h/estimate.json', '.work/j/h/items/slabs.json', '.work/j/h/map-runs/x/manifest.json', '.work/j/h/metrics/a/b.json', '.work/j/h/errors/a/b.json', '.work/j/h/group/job.json', '.work/j/h/group/participants.tsv', 'j/maps/x.nii.gz']) {
      expect(isIntermediate(k, '.work/'), k).toBe(false);
    }
    expect(isIntermediate('anything', '')).toBe(false);
  });

  it('round-trips bytes and text, reads payload ranges, and reports the payload size', async () => {
    const dir = tmpDir('nb-ws-');
    const inner = new LocalStore(dir);
    const store = verifiedWorkStore(inner, '.work/');
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
    await store.put('.work/j/h/a.bin', payload);
    const raw = readFileSync(join(dir, '.work/j/h/a.bin'));
    expect(raw.length).toBe(1000 + ENVELOPE_HEADER_BYTES);
    expect(Buffer.from(openEnvelope(raw, 'a')).equals(Buffer.from(payload))).toBe(true);
    expect(Buffer.from(await store.get('.work/j/h/a.bin')).equals(Buffer.from(payload))).toBe(true);
    expect(Array.from(await store.get('.work/j/h/a.bin', { start: 10, end: 20 }))).toEqual(Array.from(payload.subarray(10, 20)));
    expect(await store.size('.work/j/h/a.bin')).toBe(1000);
    await store.put('.work/j/h/b.json', '{"x":1}');
    expect(JSON.parse(await store.getText('.work/j/h/b.json'))).toEqual({ x: 1 });
    await store.put('j/result.json', '{}');
    expect(readFileSync(join(dir, 'j/result.json'), 'utf8')).toBe('{}');
  });

  it('writes sealed intermediates without an fsync (every reader verifies them); plain objects and results with one', async () => {
    const dir = tmpDir('nb-ws-');
    const inner = new LocalStore(dir);
    const fh = await open(join(dir, 'probe'), 'w');
    const handleProto = Object.getPrototypeOf(fh) as { sync(): Promise<void> };
    await fh.close();
    const sync = vi.spyOn(handleProto, 'sync');
    const put = vi.spyOn(inner, 'put');
    try {
      const store = verifiedWorkStore(inner, '.work/');
      await store.put('.work/j/h/slab.f32', new Uint8Array(16));
      expect(put.mock.calls.at(-1)![2]).toMatchObject({ durable: false });
      expect(sync).not.toHaveBeenCalled();
      expect(Buffer.from(await store.get('.work/j/h/slab.f32')).equals(Buffer.alloc(16))).toBe(true);
      for (const key of ['.work/j/h/context.json', '.work/j/h/metrics/a/b.json', 'j/result.json']) {
        sync.mockClear();
        await store.put(key, '{}');
        expect(put.mock.calls.at(-1)![2]?.durable, key).not.toBe(false);
        expect(sync, key).toHaveBeenCalledTimes(1);
      }
    } finally {
      sync.mockRestore();
      put.mockRestore();
    }
  });

  it('treats a corrupt intermediate as absent (counted as recomputed) and refuses to read it by name', async () => {
    const dir = tmpDir('nb-ws-');
    const store = verifiedWorkStore(new LocalStore(dir), '.work/');
    const ledger = newLedger();
    await withLedger(ledger, async () => {
      await store.put('.work/j/h/ok.f64', new Uint8Array(80));
      await store.put('.work/j/h/bad.f64', new Uint8Array(80));
      const f = join(dir, '.work/j/h/bad.f64');
      const b = readFileSync(f);
      b[ENVELOPE_HEADER_BYTES + 3] ^= 1;
      writeFileSync(f, b);
      expect(await store.exists('.work/j/h/ok.f64')).toBe(true);
      expect(await store.exists('.work/j/h/bad.f64')).toBe(false);
      expect(await store.exists('.work/j/h/none.f64')).toBe(false);
    });
    expect(ledger).toEqual({ skipped: 1, recomputed: 1, written: 2, earlierMs: 0 });
    await expectRejectsNamed(store.get('.work/j/h/bad.f64'), 'CorruptIntermediate', { input: '.work/j/h/bad.f64' });
    await expectRejectsNamed(store.get('.work/j/h/none.f64'), 'CorruptIntermediate', { input: '.work/j/h/none.f64' });
    // a ranged read past a truncated payload
    writeFileSync(join(dir, '.work/j/h/ok.f64'), readFileSync(join(dir, '.work/j/h/ok.f64')).subarray(0, ENVELOPE_HEADER_BYTES + 40));
    await expectRejectsNamed(store.get('.work/j/h/ok.f64', { start: 32, end: 80 }), 'CorruptIntermediate');
  });
});

describe('content-addressed spec hash', () => {
  it('collects every input URI, and changes with an input file’s bytes but not with its mtime alone', async () => {
    expect(inputUris({ a: 'file:///x', b: ['s3://b/k', { c: 'file:///x' }], d: 'relative.nii', e: 3 })).toEqual(['file:///x', 's3://b/k']);
    const dir = tmpDir('nb-hash-');
    const f = join(dir, 'map.nii');
    writeFileSync(f, 'one');
    const env = { store: new LocalStore(join(dir, 'out')), layout };
    const uri = pathToFileURL(f).href;
    const a = await jobLocation(env, 'j', { job: { x: 1 }, map: uri });
    utimesSync(f, new Date(1e12), new Date(1e12));
    const b = await jobLocation(env, 'j', { job: { x: 1 }, map: uri });
    expect(b.specHash).toBe(a.specHash);
    writeFileSync(f, 'two');
    const c = await jobLocation(env, 'j', { job: { x: 1 }, map: uri });
    expect(c.specHash).not.toBe(a.specHash);
    const d = await jobLocation(env, 'j', { job: { x: 2 }, map: uri });
    expect(d.specHash).not.toBe(c.specHash);
    expect(JSON.parse(readFileSync(join(dir, 'out', c.workDir, 'inputs.json'), 'utf8')).inputs).toEqual([{ uri, token: expect.stringMatching(/^sha256:[0-9a-f]{64}:3$/) }]);
  });
});

describe('upload key and results folder', () => {
  it('takes the jobId from jobs/<id>/job.json on S3 only', () => {
    expect(uploadJobId('s3://b/jobs/abc/job.json')).toBe('abc');
    expect(uploadJobId('s3://b/jobs/team/abc/job.json')).toBeUndefined();
    expect(uploadJobId('s3://b/other/abc/job.json')).toBeUndefined();
    expect(uploadJobId('file:///tmp/jobs/abc/job.json')).toBeUndefined();
    expect(uploadJobId('s3://b/jobs/.x/job.json')).toBeUndefined();
  });

  it('clears an earlier run’s files but never the job’s inputs; inside a job folder only listed outputs go', async () => {
    const dir = tmpDir('nb-clear-');
    const store = new LocalStore(dir);
    mkdirSync(join(dir, 'j', 'maps'), { recursive: true });
    for (const f of ['j/result.json', 'j/maps/old_t.nii.gz', 'j/report.html', 'j/input.nii.gz']) writeFileSync(join(dir, f), '{}');
    const removed = await clearResultsFolder(store, 'j', { jobUri: pathToFileURL(join(dir, 'elsewhere', 'job.json')).href, protect: [store.uri + 'j/input.nii.gz'] });
    expect(removed).toBe(3);
    expect(readFileSync(join(dir, 'j/input.nii.gz'), 'utf8')).toBe('{}');

    // the job's own folder is the results folder: only what result.json listed (and result/error.json)
    const k = join(dir, 'k');
    mkdirSync(join(k, 'maps'), { recursive: true });
    writeFileSync(join(k, 'result.json'), JSON.stringify({ outputs: ['maps/a_t.nii.gz', '../escape'] }));
    for (const f of ['maps/a_t.nii.gz', 'participants.tsv', 'job.json']) writeFileSync(join(k, f), 'x');
    await clearResultsFolder(store, 'k', { jobUri: pathToFileURL(join(k, 'job.json')).href });
    expect(readFileSync(join(k, 'participants.tsv'), 'utf8')).toBe('x');
    expect(readFileSync(join(k, 'job.json'), 'utf8')).toBe('x');
    expect(() => readFileSync(join(k, 'maps/a_t.nii.gz'))).toThrow();
    expect(() => readFileSync(join(k, 'result.json'))).toThrow();
  });
});

describe('billing reused batch items', () => {
  it('a batch resumed after a kill mid-batch bills the reused item’s recorded compute time', async () => {
    const { batchTask, resetTaskEnv, itemTimeKey, metricsKey } = await import('../shared/runtime/task.ts');
    const dir = tmpDir('nb-bill-');
    const saved = { s: process.env.NEUROBURST_STORE, w: process.env.NEUROBURST_WORK_PREFIX, r: process.env.NEUROBURST_RESULTS_PREFIX };
    process.env.NEUROBURST_STORE = pathToFileURL(dir).href;
    process.env.NEUROBURST_WORK_PREFIX = '.work/';
    process.env.NEUROBURST_RESULTS_PREFIX = '';
    resetTaskEnv();
    try {
      const context = '.work/j/h/context.json';
      let failOn = 'b';
      const handler = batchTask<string, boolean>(
        'aleMonteCarlo',
        async (e, env) => {
          const key = `.work/j/h/out/${e.shard}.bin`;
          if (await env.store.exists(key)) return false;
          if (e.shard === failOn) throw new Error('killed');
          let x = 0;
          for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
          await env.store.put(key, new Uint8Array(new Float64Array([x]).buffer));
          return true;
        },
        (s) => s,
      );
      await expect(handler({ BatchInput: { context }, Items: ['a', 'b'] })).rejects.toThrow();
      failOn = '';
      expect(await handler({ BatchInput: { context }, Items: ['a', 'b'] })).toEqual([false, true]);
      const store = verifiedWorkStore(new LocalStore(dir), '.work/');
      const ms = async (item: string) => (JSON.parse(await store.getText(itemTimeKey(context, 'aleMonteCarlo', item))) as { ms: number }).ms;
      const m = JSON.parse(await store.getText(metricsKey(context, 'aleMonteCarlo', 'a+b')));
      expect(m.skipped).toBeGreaterThanOrEqual(1);
      expect(m.billedMs).toBeGreaterThanOrEqual((await ms('a')) + (await ms('b')));
    } finally {
      for (const [k, v] of [['NEUROBURST_STORE', saved.s], ['NEUROBURST_WORK_PREFIX', saved.w], ['NEUROBURST_RESULTS_PREFIX', saved.r]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetTaskEnv();
    }
  });
});
