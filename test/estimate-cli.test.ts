import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { estimateFor } from '../bin/estimate.ts';
import { vbmJob, FIXTURES } from './helpers/fixture-job.ts';
import { tmpDir } from './helpers/tmp.ts';

const tmp = () => tmpDir('nb-estimate-');

describe('neuroburst estimate', () => {
  it('prints the plan stages and total of a glm job with permutations, without running it', async () => {
    const job = vbmJob(join(tmp(), 'in'), { params: { inference: { permutation: { n: 1000 } } } });
    const text = await estimateFor(pathToFileURL(job).href);
    expect(text).toMatch(/^job vbm-fixture \(glm\)/);
    expect(text).toMatch(/^permutations\s+\d+\s+\d+$/m);
    expect(text).toMatch(/total \$\d+\.\d{4} \(budget \$5\)/);
    expect(text).not.toMatch(/OVER BUDGET/);
  });
  it('says when a job would be refused as over budget', async () => {
    const job = vbmJob(join(tmp(), 'in'), { params: { inference: { permutation: { n: 100000 } } }, budget: { maxUsd: 0.001, maxConcurrency: 10 } });
    const text = await estimateFor(pathToFileURL(job).href);
    expect(text).toMatch(/OVER BUDGET, the job would be refused/);
  });
  it('works for the other pipelines (ALE on the pain dataset)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ jobId: 'pain', pipeline: 'ale', inputs: { coordinates: join(FIXTURES, 'ale', 'nidm_pain_dset.json') }, params: { iterations: 10000 } }));
    const text = await estimateFor(pathToFileURL(join(dir, 'job.json')).href);
    expect(text).toMatch(/^job pain \(ale\)/);
    expect(text).toMatch(/total \$\d+\.\d{4}/);
  });
});
