import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../shared/storage/local.ts';
import type { TaskEnv } from '../shared/runtime/task.ts';
import { generateSpins, spinGeometry, type SpinMethod } from '../shared/transcriptomics/spin.ts';
import { keys, nullSeed, type TxContext } from '../shared/pipelines/transcriptomics/context.ts';
import { resolveSpinSets, spinBatch, spinItems } from '../shared/pipelines/transcriptomics/spins.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// 4 regions per hemisphere: few distinct resamplings, so 60 spins collide and must be redrawn
const coords = [1, 0, 0, 0, 1, 0, 0, 0, 1, -1, 0, 0, -1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0.2];
const hemi = [0, 0, 0, 0, 1, 1, 1, 1];
// a correlated map on 6 of the regions (3 per hemisphere)
const corrCoords = coords.slice(0, 9).concat(coords.slice(12, 21));
const corrHemi = [0, 0, 0, 1, 1, 1];

async function runSpinStages(method: SpinMethod, per: number | undefined): Promise<{ pls: Int32Array; corr: Int32Array; info: Record<string, { redrawn: number; duplicatesKept: number }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'nb-tx-spins-'));
  dirs.push(dir);
  const env = { store: new LocalStore(dir) } as unknown as TaskEnv;
  const ctx = {
    workDir: 'work/job/abc',
    n: 8,
    coords,
    hemi,
    correlations: [{ name: 'c', regions: ['a', 'b', 'c', 'd', 'e', 'f'], coords: corrCoords, hemi: corrHemi }],
    job: { seed: 5, params: { nulls: { spins: 60, spinMethod: method }, ...(per ? { resamplesPerBatch: per } : {}) } },
  } as unknown as TxContext;
  const ctxKey = keys.context(ctx.workDir);
  await env.store.put(ctxKey, JSON.stringify(ctx));
  const items = spinItems(ctx);
  // the batches in reverse order: a batch depends on nothing but its item
  for (const it of [...items].reverse()) await spinBatch(env, ctxKey, it);
  await resolveSpinSets(env, ctxKey);
  const read = async (set: string) => {
    const b = await env.store.get(keys.spins(ctx.workDir, set));
    return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return { pls: await read('pls'), corr: await read('corr-0'), info: JSON.parse(await env.store.getText(keys.spinInfo(ctx.workDir))) };
}

describe('spins fanned out in candidate batches, resolved in order', () => {
  for (const method of ['vasa', 'hungarian'] as const) {
    it(`${method}: identical to all spins drawn in one sequential call, for any batch size (duplicates redrawn)`, async () => {
      const seed = nullSeed(5, 'spin');
      const plainPls = generateSpins(spinGeometry(coords, hemi), method, seed, 60);
      const plainCorr = generateSpins(spinGeometry(corrCoords, corrHemi), method, seed, 60);
      expect(plainPls.redrawn).toBeGreaterThan(0);
      for (const per of [1, 7, 50, undefined]) {
        const r = await runSpinStages(method, per);
        expect(Array.from(r.pls), `batch ${per}`).toEqual(Array.from(plainPls.idx));
        expect(Array.from(r.corr), `batch ${per}`).toEqual(Array.from(plainCorr.idx));
        expect(r.info.pls).toMatchObject({ redrawn: plainPls.redrawn, duplicatesKept: plainPls.duplicatesKept });
        expect(r.info['corr-0']).toMatchObject({ redrawn: plainCorr.redrawn, duplicatesKept: plainCorr.duplicatesKept });
      }
    });
  }

  it('lists one batch per resamplesPerBatch spins of each region set', () => {
    const ctx = { coords, hemi, correlations: [{ coords: corrCoords, hemi: corrHemi }], job: { params: { nulls: { spins: 120 }, resamplesPerBatch: 50 } } } as unknown as TxContext;
    expect(spinItems(ctx).map((i) => `${i.set}:${i.start}+${i.count}`)).toEqual(['pls:0+50', 'pls:50+50', 'pls:100+20', 'corr-0:0+50', 'corr-0:50+50', 'corr-0:100+20']);
    expect(spinItems({ ...ctx, coords: undefined } as TxContext)).toEqual([]);
  });
});
