import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { readSlabSeries, slabReadBytes, slabSpans } from '../shared/pipelines/reho/func-read.ts';
import type { RehoContext } from '../shared/pipelines/reho/context.ts';

const dir = mkdtempSync(join(tmpdir(), 'nb-reho-reads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reho slab reads', () => {
  it('slabSpans: one read per volume when more lies between the slabs than the slab itself', () => {
    // plane 10 bytes, 8 planes: slab of planes 2..4 (30 bytes), 50 bytes between two slabs
    const s = slabSpans(10, 8, 2, 5, 1, 4, 352);
    expect(s).toEqual([1, 2, 3].map((t) => ({ t0: t, t1: t + 1, start: 352 + t * 80 + 20, end: 352 + t * 80 + 50 })));
    expect(slabReadBytes(10, 8, 2, 5, 3)).toBe(90);
  });
  it('slabSpans: consecutive volumes share a read within the span limit when the gap is at most the slab', () => {
    // planes 1..5 of 8 (gap 3 planes ≤ slab 5 planes); volume 80 bytes; reads of at most 250 bytes hold 3 volumes
    const s = slabSpans(10, 8, 1, 6, 0, 7, 0, 250);
    expect(s.map((x) => [x.t0, x.t1])).toEqual([[0, 3], [3, 6], [6, 7]]);
    for (const x of s) {
      expect(x.start).toBe(x.t0 * 80 + 10);
      expect(x.end).toBe((x.t1 - 1) * 80 + 60);
      expect(x.end - x.start).toBeLessThanOrEqual(250);
    }
    // whole volumes: the reads tile the file's data
    const w = slabSpans(10, 8, 0, 8, 2, 9, 352, 320);
    expect(w.map((x) => [x.start, x.end])).toEqual([[352 + 160, 352 + 480], [352 + 480, 352 + 720]]);
    expect(slabReadBytes(10, 8, 0, 8, 7, 320)).toBe(7 * 80);
    // a slab larger than the span limit still gets one read per volume
    expect(slabSpans(10, 8, 0, 8, 0, 3, 0, 50).map((x) => x.t1 - x.t0)).toEqual([1, 1, 1]);
  });
  it('readSlabSeries (ranged) gives the planes of every kept volume, as a whole-file read does, for any slab', async () => {
    const dims: [number, number, number, number] = [5, 4, 6, 7];
    const n = 5 * 4 * 6 * 7;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 100);
    const file = join(dir, 'func.nii');
    writeFileSync(file, writeNifti({ dims, affine: Float64Array.from([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]), data }, { datatype: 'float32', gzip: false }));
    const all = readNifti(new Uint8Array(readFileSync(file)), 'func').data;
    const ctx = { grid: { dims: [5, 4, 6] }, job: { inputs: { funcColumn: 'func' } }, subjects: [{ id: 's', func: pathToFileURL(file).href, volumes: 7, ranged: true }] } as unknown as RehoContext;
    const plane = 20;
    for (const [zl, zh, drop] of [[0, 6, 0], [0, 6, 2], [1, 3, 1], [2, 6, 0], [5, 6, 3]] as const) {
      const got = await readSlabSeries(ctx, 0, zl, zh, drop);
      const want = new Float32Array((zh - zl) * plane * (7 - drop));
      for (let t = drop; t < 7; t++) want.set(all.subarray(t * 120 + zl * plane, t * 120 + zh * plane), (t - drop) * (zh - zl) * plane);
      expect(got).toEqual(want);
    }
  });
});
