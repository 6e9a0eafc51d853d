import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../shared/nifti/index.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { missingSidecars } from '../shared/pipelines/common/outputs.ts';
import { mapSidecar } from '../shared/pipelines/reho/subject.ts';
import type { TaskEnv } from '../shared/runtime/task.ts';

const dir = mkdtempSync(join(tmpdir(), 'nb-reho-sidecar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reho subject maps: sidecars written beside the maps', () => {
  it('equal, byte for byte, what the job finish writes for a map without one', async () => {
    const store = new LocalStore(dir);
    const env = { store } as unknown as TaskEnv;
    const grid = { dims: [3, 4, 2] as [number, number, number], affine: Float64Array.from([2, 0, 0, -3, 0, 2, 0, -4, 0, 0, 2, -2, 0, 0, 0, 1]) };
    const data = Float32Array.from({ length: 24 }, (_, i) => i / 7);
    const cases = [
      ['maps/sub-01_reho.nii.gz', 'ReHo KCC 27 neighbours'],
      ['maps/sub-01_szreho.nii.gz', 'szReHo zThenSmooth FWHM 4 mm'],
      // cut to 79 characters in the header, as the finish reads it back
      ['maps/sub-01_zreho.nii.gz', `zReHo ${'x'.repeat(100)}`],
      // no description: the finish names the file
      ['maps/sub-01_mreho.nii.gz', ''],
    ] as const;
    const files: string[] = [];
    const mine: string[] = [];
    for (const [rel, description] of cases) {
      const bytes = writeNifti({ ...grid, data }, { datatype: 'float32', ...(description ? { description } : {}) });
      await store.put(`res/${rel}`, bytes);
      files.push(rel);
      mine.push(mapSidecar(rel, bytes));
    }
    const added = await missingSidecars(env, 'res', files);
    expect(added).toEqual(files.map((f) => f.replace(/\.nii\.gz$/, '.json')));
    for (const [i, rel] of added.entries()) expect(mine[i]).toBe(await store.getText(`res/${rel}`));
    expect(JSON.parse(mine[2]!).Description).toHaveLength(79);
    expect(JSON.parse(mine[3]!).Description).toBe('sub-01_mreho.nii.gz');
  });
});
