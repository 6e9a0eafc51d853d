/**
 * Job isolation on the upload-trigger path (trigger.asl.json → router.asl.json → pipeline),
 * against an S3 API server on 127.0.0.1 (s3rver): the upload key jobs/<id>/job.json names
 * the job, so a job.json claiming another job's id is refused (InvalidJobSpec) without
 * touching that job's results, and a job reads only its own upload folder, the deployment's
 * dataset prefixes and explicitly shared prefixes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { S3Store, resetS3Clients } from '../shared/storage/index.ts';
import { runTriggerLocal } from '../runner/local-trigger.ts';
import { startS3Server } from './helpers/s3server.ts';
import type { S3TestServer } from './helpers/s3server.ts';
import { tmpDir } from './helpers/tmp.ts';

const BUCKET = 'nb-iso';
const root = tmpDir('nb-isolation-');
let server: S3TestServer;
let restoreEnv: () => void = () => undefined;
const bucket = () => new S3Store({ bucket: BUCKET });
let n = 0;

const glmJob = (jobId: string, inputs: Record<string, unknown> = {}) =>
  JSON.stringify({ jobId, pipeline: 'glm', inputs: { participants: 'participants.tsv', ...inputs }, params: { contrasts: ['G1-G2'] } });

/** Put job.json at jobs/<folder>/job.json and run the trigger on it. */
async function upload(folder: string, body: string) {
  const key = `jobs/${folder}/job.json`;
  await bucket().put(key, body);
  n++;
  return runTriggerLocal({ bucket: BUCKET, key, versionId: `v${n}`, etag: `e${n}` }, { outDir: join(root, 'trigger'), threads: 1 });
}

const VICTIM_RESULT = '{"pipeline":"glm","status":"succeeded","jobId":"victim"}\n';

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  restoreEnv = server.useEnv();
  resetS3Clients();
  await bucket().put('results/victim/result.json', VICTIM_RESULT);
  await bucket().put('results/victim/maps/G1-G2_t.nii.gz', 'not really a map');
  await bucket().put('jobs/victim/participants.tsv', 'participant_id\tgroup\tmap\n');
});

afterAll(async () => {
  resetS3Clients();
  await server.stop();
  restoreEnv();
});

describe('the upload key names the job', () => {
  it('refuses a job.json whose jobId differs from its upload folder, and leaves that job’s results alone', async () => {
    const outcome = await upload('attacker', glmJob('victim'));
    expect(outcome).toMatchObject({ status: 'failed', error: 'InvalidJobSpec' });
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
    expect(await bucket().exists('results/victim/maps/G1-G2_t.nii.gz')).toBe(true);
    expect(await bucket().exists('results/victim/error.json')).toBe(false);
    const err = JSON.parse(await bucket().getText('results/attacker/error.json'));
    expect(err).toMatchObject({ error: 'InvalidJobSpec', input: 'jobId' });
    expect(err.message).toMatch(/jobs\/attacker\//);
  });

  it('an invalid spec naming another job records its error under its own upload folder', async () => {
    const outcome = await upload('attacker2', JSON.stringify({ jobId: 'victim', pipeline: 'glm', inputs: {}, params: { nonsense: true } }));
    expect(outcome.status).toBe('failed');
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
    expect(await bucket().exists('results/victim/error.json')).toBe(false);
    expect(JSON.parse(await bucket().getText('results/attacker2/error.json')).error).toBe('InvalidJobSpec');
  });
});

describe('a job reads only its own folder, dataset prefixes and shared prefixes', () => {
  it('refuses an input in another job’s upload folder (same-bucket rule)', async () => {
    const outcome = await upload('thief', glmJob('thief', { participants: `s3://${BUCKET}/jobs/victim/participants.tsv` }));
    expect(outcome).toMatchObject({ status: 'failed', error: 'UnsafeInputKey' });
    const err = JSON.parse(await bucket().getText('results/thief/error.json'));
    expect(err.input).toBe(`s3://${BUCKET}/jobs/victim/participants.tsv`);
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
  });

  it('under a deployment allow-list: the input bucket means the job’s own folder; a shared prefix stays readable', async () => {
    const saved = process.env.NEUROBURST_ALLOWED_INPUTS;
    process.env.NEUROBURST_ALLOWED_INPUTS = `s3://${BUCKET}/,s3://${BUCKET}/shared/`;
    try {
      const stolen = await upload('thief2', glmJob('thief2', { participants: `s3://${BUCKET}/jobs/victim/participants.tsv` }));
      expect(stolen).toMatchObject({ status: 'failed', error: 'UnsafeInputKey' });
      const elsewhere = await upload('thief3', glmJob('thief3', { participants: `s3://${BUCKET}/results/victim/result.json` }));
      expect(elsewhere).toMatchObject({ status: 'failed', error: 'UnsafeInputKey' });
      // a shared prefix passes the location check (the table is then read and found wanting)
      await bucket().put('shared/participants.tsv', 'participant_id\tgroup\tmap\n');
      const shared = await upload('reader', glmJob('reader', { participants: `s3://${BUCKET}/shared/participants.tsv` }));
      expect(shared.status).toBe('failed');
      if (shared.status === 'failed') expect(shared.error).not.toBe('UnsafeInputKey');
      // and its own folder too
      await bucket().put('jobs/reader2/participants.tsv', 'participant_id\tgroup\tmap\n');
      const own = await upload('reader2', glmJob('reader2'));
      expect(own.status).toBe('failed');
      if (own.status === 'failed') expect(own.error).not.toBe('UnsafeInputKey');
    } finally {
      if (saved === undefined) delete process.env.NEUROBURST_ALLOWED_INPUTS;
      else process.env.NEUROBURST_ALLOWED_INPUTS = saved;
    }
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
  });
});
