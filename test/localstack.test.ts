/**
 * Opt-in: the deployed stack on LocalStack. Runs only when LOCALSTACK_ENDPOINT is set
 * (e.g. http://localhost:4566) and the stack was deployed there first:
 *
 *   npx cdklocal bootstrap && npx cdklocal deploy        (see README "Deploying to AWS")
 *   LOCALSTACK_ENDPOINT=http://localhost:4566 npx vitest run test/localstack.test.ts
 *
 * It submits the VBM fixture job with `submitJob`, waits for the upload trigger to run it
 * (jobStatus), and fetches results/<jobId>/. CI runs without LocalStack: the suite skips
 * and says why.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetS3Clients } from '../shared/storage/index.ts';
import { s3 } from '../bin/cloud/clients.ts';
import { submitJob } from '../bin/cloud/submit.ts';
import { jobStatus } from '../bin/cloud/status.ts';
import { fetchResults } from '../bin/cloud/fetch.ts';
import { VBM, vbmParticipants } from './helpers/fixture-job.ts';
import { tmpDir } from './helpers/tmp.ts';

const endpoint = process.env.LOCALSTACK_ENDPOINT;
if (!endpoint) console.log('test/localstack.test.ts skipped: set LOCALSTACK_ENDPOINT (e.g. http://localhost:4566) after `npx cdklocal deploy` to run it');

describe.skipIf(!endpoint)('deployed stack on LocalStack', () => {
  let root = '';
  const saved = new Map<string, string | undefined>();
  let input = '';
  let results = '';

  beforeAll(async () => {
    root = tmpDir('neuroburst-localstack-');
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: endpoint!,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    };
    for (const [k, v] of Object.entries(env)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
    resetS3Clients();
    const names = ((await s3().send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '');
    input = process.env.LOCALSTACK_INPUT_BUCKET ?? names.find((n) => n.includes('storageinput')) ?? '';
    results = process.env.LOCALSTACK_RESULTS_BUCKET ?? names.find((n) => n.includes('storageresults')) ?? '';
    if (!input || !results) throw new Error(`no neuroburst buckets on ${endpoint} (found: ${names.join(', ')}): run npx cdklocal deploy first`);
  });

  afterAll(() => {
    resetS3Clients();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs an uploaded job through the trigger to results/', async () => {
    const dir = join(root, 'job');
    mkdirSync(join(dir, 'maps'), { recursive: true });
    vbmParticipants(dir, (rows) => {
      for (const r of rows) {
        copyFileSync(join(VBM, `vbm_gm_${r[0]}.nii.gz`), join(dir, 'maps', `vbm_gm_${r[0]}.nii.gz`));
        r[3] = `maps/vbm_gm_${r[0]}.nii.gz`;
      }
    });
    copyFileSync(join(VBM, 'vbm_mask.nii.gz'), join(dir, 'mask.nii.gz'));
    const jobId = `localstack-${Date.now()}`;
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({ jobId, pipeline: 'glm', inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz' }, params: { contrasts: ['G1-G2'], covariates: ['TIV'], smoothFwhmMm: 3 } }),
    );
    await submitJob(join(dir, 'job.json'), { bucket: input });
    let status = '';
    for (let i = 0; i < 120 && !['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 5000));
      const s = await jobStatus(jobId, { bucket: input, resultsBucket: results });
      status = s.pipelineExecution?.status ?? s.router?.status ?? '';
    }
    expect(status).toBe('SUCCEEDED');
    const r = await fetchResults(jobId, { bucket: results, out: join(root, 'out') });
    expect(r.status).toBe('succeeded');
    expect(JSON.parse(readFileSync(join(r.dir, 'result.json'), 'utf8')).pipeline).toBe('glm');
  }, 660_000);
});
