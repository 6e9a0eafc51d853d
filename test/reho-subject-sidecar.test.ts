import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { statIntent, writeNifti } from '../shared/nifti/index.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { missingSidecars, sidecarFromHeader } from '../shared/pipelines/common/outputs.ts';
import type { TaskEnv } from '../shared/runtime/task.ts';

const dir = mkdtempSync(join(tmpdir(), 'nb-reho-sidecar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('map sidecars from the header (reho subject maps write them beside the maps; the job finish for maps without one)', () => {
  it('take kind from the file name, description from the header (cut to 79 characters, else the file name) and t DOF from the intent; the finish writes the same', async () => {
    const store = new LocalStore(dir);
    const env = { store } as unknown as TaskEnv;
    const grid = { dims: [3, 4, 2] as [number, number, number], affine: Float64Array.from([2, 0, 0, -3, 0, 2, 0, -4, 0, 0, 2, -2, 0, 0, 0, 1]) };
    const data = Float32Array.from({ length: 24 }, (_, i) => i / 7);
    const long = `zReHo ${'x'.repeat(100)}`;
    const cases = [
      { rel: 'maps/sub-01_reho.nii.gz', description: 'ReHo KCC 27 neighbours', want: { Description: 'ReHo KCC 27 neighbours', MapType: 'reho' } },
      { rel: 'maps/sub-01_zreho.nii.gz', description: long, want: { Description: long.slice(0, 79), MapType: 'reho' } },
      { rel: 'maps/sub-01_mreho.nii.gz', description: '', want: { Description: 'sub-01_mreho.nii.gz', MapType: 'reho' } },
      { rel: 'maps/g_t.nii.gz', description: 'group t', intent: statIntent('t', 17), want: { Description: 'group t', MapType: 't', StatisticType: 't', DegreesOfFreedom: 17 } },
    ];
    const files: string[] = [];
    const mine: string[] = [];
    for (const c of cases) {
      const bytes = writeNifti({ ...grid, data }, { datatype: 'float32', ...(c.description ? { description: c.description } : {}), ...(c.intent ? { intent: c.intent } : {}) });
      await store.put(`res/${c.rel}`, bytes);
      files.push(c.rel);
      mine.push(sidecarFromHeader(c.rel, bytes));
    }
    for (const [i, c] of cases.entries()) {
      const got = JSON.parse(mine[i]!) as Record<string, unknown>;
      expect(got, c.rel).toMatchObject(c.want);
      if (!c.intent) expect(got.DegreesOfFreedom, c.rel).toBeUndefined();
      expect(mine[i]!.endsWith('}\n')).toBe(true);
    }
    const added = await missingSidecars(env, 'res', files);
    expect(added).toEqual(files.map((f) => f.replace(/\.nii\.gz$/, '.json')));
    for (const [i, rel] of added.entries()) expect(await store.getText(`res/${rel}`)).toBe(mine[i]);
  });
});
