import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { writeDemoNetmap } from '../bin/connectome.ts';
import { handler as validate } from '../functions/validate.ts';
import { FIXTURES } from './helpers/fixtures.ts';

describe('Validate runs once per job', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-validate-once-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a pipeline started with the router\'s Validate result ($.job) skips its own Validate; started alone it validates', async () => {
    const jobUri = pathToFileURL(await writeDemoNetmap(join(dir, 'in'), 1, 6)).href;
    const calls: unknown[] = [];
    const counting = async (e: unknown) => {
      calls.push(e);
      return validate(e as never);
    };
    const alone = await runLocal({ jobUri, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 1, localHandlers: { Validate: counting } });
    expect(alone.status).toBe('succeeded');
    expect(calls.length).toBe(1);
    const validated = (await validate({ jobUri } as never)) as { jobId: string; pipeline: string; context: string };
    const routed = await runLocal({ jobUri, validated, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 1, localHandlers: { Validate: counting } });
    expect(routed.status, JSON.stringify(routed)).toBe('succeeded');
    expect(calls.length).toBe(1);
  }, 120_000);
  it('the transcriptomics workflow too (Validated Choice)', async () => {
    const tx = (...p: string[]) => join(FIXTURES, 'transcriptomics', ...p);
    mkdirSync(join(dir, 'tx'), { recursive: true });
    const jobPath = join(dir, 'tx', 'job.json');
    writeFileSync(
      jobPath,
      JSON.stringify({
        jobId: 'tx-once',
        pipeline: 'transcriptomics',
        seed: 1,
        inputs: { regionValues: tx('maps', 'enigma_scz_case-controls_CortThick.csv'), expression: tx('ahba', 'enigma-extra_allgenes_stable_r0.6.csv'), centroids: tx('surface', 'dk68_fsa5_sphere_centroids.csv') },
        params: { regionColumn: 'Structure', valueColumn: 'd_icv', centroidColumns: ['x_surface', 'y_surface', 'z_surface'], regions: 'L_', nulls: { permutations: 50, bootstraps: 50, spins: 50 }, geneSpin: false },
      }),
    );
    const jobUri = pathToFileURL(jobPath).href;
    const calls: unknown[] = [];
    const counting = async (e: unknown) => {
      calls.push(e);
      return validate(e as never);
    };
    const alone = await runLocal({ jobUri, pipeline: 'transcriptomics', outDir: join(dir, 'out-tx'), threads: 1, localHandlers: { Validate: counting } });
    expect(alone.status, JSON.stringify(alone)).toBe('succeeded');
    expect(calls.length).toBe(1);
    const validated = (await validate({ jobUri } as never)) as { jobId: string; pipeline: string; context: string };
    const routed = await runLocal({ jobUri, validated, pipeline: 'transcriptomics', outDir: join(dir, 'out-tx'), threads: 1, localHandlers: { Validate: counting } });
    expect(routed.status, JSON.stringify(routed)).toBe('succeeded');
    expect(calls.length).toBe(1);
  }, 120_000);
});
