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
import { writeNifti } from '../shared/nifti/index.ts';
import { stream } from '../shared/random.ts';

const BUCKET = 'nb-iso';
/** the deployment's separate results bucket (work/ and results/), outside the input allow-list */
const RESULTS = 'nb-iso-results';
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
  server = await startS3Server({ buckets: [BUCKET, RESULTS] });
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

describe('a nested upload key (jobs/<id>/…/job.json, which the rule pattern also matches)', () => {
  it('is refused without touching the results of the job its job.json names, its error under the first folder', async () => {
    await bucket().put('jobs/attacker3/nested/participants.tsv', 'participant_id\tgroup\tmap\n');
    const outcome = await upload('attacker3/nested', glmJob('victim'));
    expect(outcome).toMatchObject({ status: 'failed', error: 'InvalidJobSpec' });
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
    expect(await bucket().exists('results/victim/maps/G1-G2_t.nii.gz')).toBe(true);
    expect(await bucket().exists('results/victim/error.json')).toBe(false);
    const err = JSON.parse(await bucket().getText('results/attacker3/error.json'));
    expect(err).toMatchObject({ error: 'InvalidJobSpec', input: 'jobUri' });
    expect(err.message).toMatch(/jobs\/<jobId>\/job\.json/);
  });

  it('an unreadable nested job.json naming another job leaves that job alone too', async () => {
    const outcome = await upload('attacker4/a/b', '{"jobId": "victim", "pipeline": "glm", "inputs": ');
    expect(outcome.status).toBe('failed');
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
    expect(await bucket().exists('results/victim/error.json')).toBe(false);
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

describe('a step job reads its parent job’s own prefixes, and only those', () => {
  const DIMS: [number, number, number] = [8, 8, 6];
  const NT = 90;
  const AFFINE = Float64Array.from([-3, 0, 0, 10.5, 0, 3, 0, -10.5, 0, 0, 3, -7.5, 0, 0, 0, 1]);

  /** A small reho cohort with a group step (its glm job lives under the reho job's work/ and reads its results/). */
  async function uploadRehoCohort(jobId: string): Promise<void> {
    const [nx, ny, nz] = DIMS;
    const nVox = nx * ny * nz;
    const mask = new Float32Array(nVox).fill(1);
    const put = (name: string, body: Uint8Array | string) => bucket().put(`jobs/${jobId}/${name}`, body);
    await put('mask.nii.gz', writeNifti({ dims: DIMS, affine: AFFINE, data: mask }, { datatype: 'uint8' }));
    const rows = ['participant_id\tgroup\tage\tfunc\tconfounds'];
    for (let k = 0; k < 6; k++) {
      const id = `s${k + 1}`;
      const rng = stream(77, k);
      const shared = Array.from({ length: NT }, (_, t) => Math.sin(0.3 * t + k) + 0.5 * rng.normal());
      const data = new Float32Array(nVox * NT);
      for (let v = 0; v < nVox; v++) for (let t = 0; t < NT; t++) data[v + t * nVox] = 1000 + (k % 2 === 0 ? 8 : 2) * shared[t]! + 3 * rng.normal();
      await put(`${id}_bold.nii.gz`, writeNifti({ dims: [...DIMS, NT], affine: AFFINE, data, tr: 2 }, { datatype: 'float32' }));
      const conf = ['csf\twhite_matter\ttrans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement'];
      const cur = [0, 0, 0, 0, 0, 0];
      for (let t = 0; t < NT; t++) {
        for (let c = 0; c < 6; c++) cur[c]! += (c < 3 ? 0.02 : 0.0003) * rng.normal();
        conf.push([800 + 5 * Math.cos(t / 3) + rng.normal(), 500 + 3 * Math.sin(t / 7) + rng.normal(), ...cur, t === 0 ? 'n/a' : 0.05].join('\t'));
      }
      await put(`${id}_confounds.tsv`, conf.join('\n') + '\n');
      rows.push([id, k % 2 === 0 ? 'A' : 'B', String(30 + k), `${id}_bold.nii.gz`, `${id}_confounds.tsv`].join('\t'));
    }
    await put('participants.tsv', rows.join('\n') + '\n');
    await put('job.json', JSON.stringify({ jobId, pipeline: 'reho', inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz' }, params: { smoothFwhmMm: 4, group: { contrasts: ['A-B'], covariates: ['age'], inference: { permutation: { n: 20, statistics: ['maxT'] } } } } }));
  }

  it('the reho group step’s glm job reads its participants table (work/) and maps (results/) under the deployed allow-list', async () => {
    const saved = process.env.NEUROBURST_ALLOWED_INPUTS;
    process.env.NEUROBURST_ALLOWED_INPUTS = `s3://${BUCKET}/,s3://${BUCKET}/shared/`;
    try {
      await uploadRehoCohort('rehostep');
      n++;
      // as deployed: inputs in the input bucket, work/ and results/ in the results bucket, which the allow-list does not name
      const outcome = await runTriggerLocal({ bucket: BUCKET, key: 'jobs/rehostep/job.json', versionId: `v${n}`, etag: `e${n}` }, { outDir: join(root, 'trigger'), threads: 2, store: `s3://${RESULTS}` });
      expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
      const results = new S3Store({ bucket: RESULTS });
      const result = JSON.parse(await results.getText('results/rehostep/result.json'));
      expect(result.jobId).toBe('rehostep');
      expect(result.outputs).toContain('maps/A-B_t.nii.gz');
      expect(await results.exists('results/rehostep/maps/A-B_t.nii.gz')).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.NEUROBURST_ALLOWED_INPUTS;
      else process.env.NEUROBURST_ALLOWED_INPUTS = saved;
    }
    expect(await bucket().getText('results/victim/result.json')).toBe(VICTIM_RESULT);
  }, 240_000);
});
