/**
 * The deploy-time input allow-list (NEUROBURST_ALLOWED_INPUTS, set by the stack to the
 * input bucket plus the configured dataset prefixes): Validate reads job.json and 's3://'
 * inputs only inside it; anything else, local files included, is `UnsafeInputKey` in
 * error.json. Local runs (no allow-list, file:// inputs) are unaffected. End to end against s3rver on 127.0.0.1.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store, allowedInputsFromEnv, assertAllowedInput, assertAllowedJobUri, resetS3Clients, resolveRef, stepJobOf } from '../shared/storage/index.ts';
import { runLocal } from '../runner/local.ts';
import { VBM, vbmParticipants } from './helpers/fixture-job.ts';
import { startS3Server } from './helpers/s3server.ts';
import type { S3TestServer } from './helpers/s3server.ts';
import { tmpDir } from './helpers/tmp.ts';

const ALLOWED = ['s3://nb-input/jobs/', 's3://nb-datasets/cohort'];

describe('allow-list rules', () => {
  it('reads NEUROBURST_ALLOWED_INPUTS as comma-separated entries; unset means no allow-list', () => {
    expect(allowedInputsFromEnv({ NEUROBURST_ALLOWED_INPUTS: ' s3://a/x/ , s3://b ' })).toEqual(['s3://a/x/', 's3://b']);
    expect(allowedInputsFromEnv({})).toBeUndefined();
    expect(allowedInputsFromEnv({ NEUROBURST_ALLOWED_INPUTS: '' })).toBeUndefined();
  });

  it('admits s3:// URIs under an entry (folder prefixes, not partial names) and nothing else', () => {
    expect(assertAllowedInput('s3://nb-input/jobs/a/job.json', ALLOWED)).toBe('s3://nb-input/jobs/a/job.json');
    expect(assertAllowedInput('s3://nb-datasets/cohort/sub-01.nii.gz', ALLOWED)).toBe('s3://nb-datasets/cohort/sub-01.nii.gz');
    expect(() => assertAllowedInput('s3://nb-datasets/cohort2/sub-01.nii.gz', ALLOWED)).toThrow(expect.objectContaining({ name: 'UnsafeInputKey', input: 's3://nb-datasets/cohort2/sub-01.nii.gz' }));
    expect(() => assertAllowedInput('s3://nb-input/results/x/result.json', ALLOWED)).toThrow(/outside the locations this deployment may read/);
    expect(() => assertAllowedInput('s3://elsewhere/jobs/a.nii.gz', ALLOWED)).toThrow(expect.objectContaining({ name: 'UnsafeInputKey' }));
    expect(assertAllowedInput('s3://whole-bucket/any/key', ['s3://whole-bucket'])).toBe('s3://whole-bucket/any/key');
    // under an allow-list (a deployment) local files are refused: they are the worker's own filesystem
    expect(() => assertAllowedInput('file:///proc/self/environ', ALLOWED)).toThrow(expect.objectContaining({ name: 'UnsafeInputKey', input: 'file:///proc/self/environ' }));
    expect(() => assertAllowedInput('/data/x.nii.gz', ALLOWED)).toThrow(/local path/);
    // no allow-list = no check
    expect(assertAllowedInput('file:///data/x.nii.gz', undefined)).toBe('file:///data/x.nii.gz');
    expect(assertAllowedInput('s3://elsewhere/x', undefined)).toBe('s3://elsewhere/x');
  });

  it('resolveRef lets a job reach a configured dataset bucket only with the allow-list, and only inside it', () => {
    const base = 's3://nb-input/jobs/a/';
    expect(() => resolveRef('s3://nb-datasets/cohort/m.nii.gz', base, {})).toThrow(/bucket 'nb-datasets' is not allowed/);
    expect(resolveRef('s3://nb-datasets/cohort/m.nii.gz', base, { allowedInputs: ALLOWED })).toBe('s3://nb-datasets/cohort/m.nii.gz');
    expect(() => resolveRef('s3://nb-datasets/other/m.nii.gz', base, { allowedInputs: ALLOWED })).toThrow(expect.objectContaining({ name: 'UnsafeInputKey' }));
    expect(resolveRef('maps/m.nii.gz', base, { allowedInputs: ALLOWED })).toBe('s3://nb-input/jobs/a/maps/m.nii.gz');
    // a job outside the allowed prefixes of its own bucket gets nothing from it either
    expect(() => resolveRef('m.nii.gz', 's3://nb-input/private/', { allowedInputs: ALLOWED })).toThrow(expect.objectContaining({ name: 'UnsafeInputKey' }));
    // local jobs keep their rules without an allow-list, and are refused under one
    expect(resolveRef('m.nii.gz', 'file:///data/job/', {})).toBe('file:///data/job/m.nii.gz');
    expect(() => resolveRef('m.nii.gz', 'file:///data/job/', { allowedInputs: ALLOWED })).toThrow(expect.objectContaining({ name: 'UnsafeInputKey' }));
  });
});

describe('a step job (a workflow started by another job, e.g. reho\'s group glm)', () => {
  const DEPLOYED = ['s3://nb-input/', 's3://nb-datasets/cohort'];
  const workStore = { store: 's3://nb-results', workPrefix: 'work/', resultsPrefix: 'results/' };
  const base = 's3://nb-results/work/rj/4d1f1f19c30b/group/';
  const policy = { allowedInputs: DEPLOYED, workStore };

  it('is recognised by its job.json under a job\'s work folder of the work store', () => {
    expect(stepJobOf(`${base}job.json`, workStore)).toEqual({ jobId: 'rj', bucket: 'nb-results', prefixes: ['s3://nb-results/work/rj/', 's3://nb-results/results/rj/'] });
    expect(stepJobOf('s3://nb-results/results/rj/job.json', workStore)).toBeUndefined();
    expect(stepJobOf('s3://nb-input/jobs/rj/job.json', workStore)).toBeUndefined();
    expect(stepJobOf('s3://nb-results/work/../x/job.json', workStore)).toBeUndefined();
    expect(stepJobOf(`${base}job.json`, undefined)).toBeUndefined();
    expect(stepJobOf('file:///out/.work/rj/h/group/job.json', { store: 'file:///out/', workPrefix: '.work/', resultsPrefix: '' })).toBeUndefined();
  });

  it("reads its parent's work and results prefixes, the parent's upload folder and the dataset prefixes", () => {
    expect(resolveRef('participants.tsv', base, policy)).toBe(`${base}participants.tsv`);
    expect(resolveRef('s3://nb-results/results/rj/maps/s1_szreho.nii.gz', base, policy)).toBe('s3://nb-results/results/rj/maps/s1_szreho.nii.gz');
    expect(resolveRef('s3://nb-input/jobs/rj/mask.nii.gz', base, policy)).toBe('s3://nb-input/jobs/rj/mask.nii.gz');
    expect(resolveRef('s3://nb-datasets/cohort/mask.nii.gz', base, policy)).toBe('s3://nb-datasets/cohort/mask.nii.gz');
    expect(assertAllowedJobUri(`${base}job.json`, DEPLOYED, workStore)).toBe(`${base}job.json`);
  });

  it("and nothing of another job: its work, results or upload folder", () => {
    for (const other of ['s3://nb-results/results/other/maps/s1_szreho.nii.gz', 's3://nb-results/work/other/h/group/participants.tsv', 's3://nb-input/jobs/other/mask.nii.gz', 's3://nb-input/private/x.tsv', 's3://nb-results/results/rj2/x']) {
      expect(() => resolveRef(other, base, policy), other).toThrow(expect.objectContaining({ name: 'UnsafeInputKey', input: other }));
    }
    // a job.json elsewhere in the work store (a results folder) is no step job: the allow-list applies
    expect(() => assertAllowedJobUri('s3://nb-results/results/rj/job.json', DEPLOYED, workStore)).toThrow(expect.objectContaining({ name: 'UnsafeInputKey' }));
    // an uploaded job is unaffected: the input bucket means its own folder, the work store stays out of reach
    expect(() => resolveRef('s3://nb-results/work/rj/h/group/participants.tsv', 's3://nb-input/jobs/rj/', policy)).toThrow(expect.objectContaining({ name: 'UnsafeInputKey' }));
  });
});

describe('Validate under the allow-list, end to end', () => {
  const root = tmpDir('neuroburst-allow-');
  let s3: S3TestServer;
  let restore: () => void = () => undefined;
  const savedAllowed = process.env.NEUROBURST_ALLOWED_INPUTS;

  /** Upload a glm job whose maps and mask live in the dataset bucket; returns its URI. */
  async function upload(bucket: string, jobId: string, mask: string): Promise<string> {
    const dir = join(root, jobId);
    vbmParticipants(dir, (rows) => {
      for (const r of rows) r[3] = `s3://nb-datasets/cohort/vbm_gm_${r[0]}.nii.gz`;
    });
    const store = new S3Store({ bucket, prefix: `jobs/${jobId}` });
    await store.put('participants.tsv', readFileSync(join(dir, 'participants.tsv')));
    const job = { jobId, pipeline: 'glm', inputs: { participants: 'participants.tsv', mask }, params: { contrasts: ['G1-G2'], covariates: ['TIV'], smoothFwhmMm: 3 } };
    await store.put('job.json', JSON.stringify(job));
    return `s3://${bucket}/jobs/${jobId}/job.json`;
  }

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: ['nb-input', 'nb-datasets', 'nb-other'] });
    restore = s3.useEnv();
    resetS3Clients();
    const datasets = new S3Store({ bucket: 'nb-datasets' });
    const rows = readFileSync(join(VBM, 'vbm_design.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
    for (const l of rows) {
      const id = l.split(',')[0]!;
      await datasets.put(`cohort/vbm_gm_${id}.nii.gz`, readFileSync(join(VBM, `vbm_gm_${id}.nii.gz`)));
    }
    for (const k of ['cohort/mask.nii.gz', 'cohort2/mask.nii.gz']) await datasets.put(k, readFileSync(join(VBM, 'vbm_mask.nii.gz')));
    process.env.NEUROBURST_ALLOWED_INPUTS = ALLOWED.join(',');
  });

  afterAll(async () => {
    if (savedAllowed === undefined) delete process.env.NEUROBURST_ALLOWED_INPUTS;
    else process.env.NEUROBURST_ALLOWED_INPUTS = savedAllowed;
    resetS3Clients();
    await s3.stop();
    restore();
    rmSync(root, { recursive: true, force: true });
  });

  const errorOf = (out: string, jobId: string) => JSON.parse(readFileSync(join(out, jobId, 'error.json'), 'utf8')) as { error: string; input: string; message: string };

  it('runs a job whose inputs lie in the input bucket and a configured dataset prefix', async () => {
    const jobUri = await upload('nb-input', 'allowed', 's3://nb-datasets/cohort/mask.nii.gz');
    const out = join(root, 'out-allowed');
    const r = await runLocal({ jobUri, pipeline: 'glm', outDir: out, threads: 2 });
    expect(r.status, JSON.stringify(r)).toBe('succeeded');
    expect(JSON.parse(readFileSync(join(out, 'allowed', 'result.json'), 'utf8'))).toMatchObject({ jobId: 'allowed' });
  });

  it('refuses an s3:// input outside the allow-list with UnsafeInputKey in error.json', async () => {
    const jobUri = await upload('nb-input', 'denied', 's3://nb-datasets/cohort2/mask.nii.gz');
    const out = join(root, 'out-denied');
    const r = await runLocal({ jobUri, pipeline: 'glm', outDir: out, threads: 2 });
    expect(r).toMatchObject({ status: 'failed', error: 'UnsafeInputKey' });
    const err = errorOf(out, 'denied');
    expect(err).toMatchObject({ error: 'UnsafeInputKey', input: 's3://nb-datasets/cohort2/mask.nii.gz' });
    expect(err.message).toMatch(/outside the locations this deployment may read/);
  });

  it('refuses a local (file://) job.json under the allow-list without echoing its content', async () => {
    const jobPath = join(root, 'local-job.json');
    writeFileSync(jobPath, 'SECRET_TOKEN=abcdef\n');
    const jobUri = pathToFileURL(jobPath).href;
    const out = join(root, 'out-local');
    const r = await runLocal({ jobUri, pipeline: 'glm', outDir: out, threads: 2 });
    expect(r).toMatchObject({ status: 'failed', error: 'UnsafeInputKey' });
    const err = errorOf(out, 'invalid-job');
    expect(err).toMatchObject({ error: 'UnsafeInputKey', input: jobUri });
    expect(err.message).not.toMatch(/SECRET/);
  });

  it('refuses a job.json stored outside the allow-list, and RecordFailure does not read it for a jobId either', async () => {
    const jobUri = await upload('nb-other', 'foreign', 's3://nb-datasets/cohort/mask.nii.gz');
    const out = join(root, 'out-foreign');
    // a finished job whose id the refused job.json names: its result must survive the failure
    mkdirSync(join(out, 'foreign'), { recursive: true });
    writeFileSync(join(out, 'foreign', 'result.json'), '{"status":"succeeded"}\n');
    const r = await runLocal({ jobUri, pipeline: 'glm', outDir: out, threads: 2 });
    expect(r).toMatchObject({ status: 'failed', error: 'UnsafeInputKey' });
    expect(errorOf(out, 'invalid-job')).toMatchObject({ error: 'UnsafeInputKey', input: jobUri });
    expect(existsSync(join(out, 'foreign', 'result.json'))).toBe(true);
    expect(existsSync(join(out, 'foreign', 'error.json'))).toBe(false);
  });
});
