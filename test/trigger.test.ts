/**
 * The upload-trigger path end to end against an S3 API server on 127.0.0.1 (s3rver):
 * `submitJob` uploads a job folder (job.json last), s3rver emits its object-created
 * events, the rule's key pattern picks job.json, and `runTriggerLocal` runs
 * trigger.asl.json → router.asl.json → the pipeline's ASL (runLocal), inputs read from
 * S3, results and intermediates written back to the S3 server (`results/<jobId>/`,
 * `work/<jobId>/` of the job's bucket, as on AWS). Duplicate deliveries start nothing; a
 * re-upload is a new run; an over-budget job is refused before fan-out; a bad spec is
 * refused by the router's Validate.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store, resetS3Clients } from '../shared/storage/index.ts';
import { executionName, isJobSpecKey, runTriggerLocal, triggerInputFromEventBridge, triggerInputFromS3Record } from '../shared/runner/router.ts';
import type { TriggerInput } from '../shared/runner/router.ts';
import { submitJob } from '../bin/cloud/submit.ts';
import { fetchResults } from '../bin/cloud/fetch.ts';
import { VBM, vbmParticipants } from './helpers/fixture-job.ts';
import { startS3Server } from './helpers/s3server.ts';
import type { S3EventRecord, S3TestServer } from './helpers/s3server.ts';
import { tmpDir } from './helpers/tmp.ts';

const BUCKET = 'nb-input';
const RESULTS = 'nb-results';
const root = tmpDir('neuroburst-trigger-');
const events: S3EventRecord[] = [];
let server: S3TestServer;
let restoreEnv: () => void = () => undefined;

/** The results store of jobs uploaded to BUCKET: results/<jobId>/ in that bucket, as on AWS. */
const resultsOf = (jobId: string) => new S3Store({ bucket: BUCKET, prefix: `results/${jobId}` });
const readJson = async <T,>(store: S3Store, key: string) => JSON.parse(await store.getText(key)) as T;
async function keys(store: S3Store, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out;
}

/** A glm job folder on the VBM fixture with every input inside it, referenced relatively. */
function jobFolder(name: string, job: Record<string, unknown>): string {
  const dir = join(root, 'src', name);
  mkdirSync(join(dir, 'maps'), { recursive: true });
  vbmParticipants(dir, (rows) => {
    for (const r of rows) {
      const file = `vbm_gm_${r[0]}.nii.gz`;
      copyFileSync(join(VBM, file), join(dir, 'maps', file));
      r[3] = `maps/${file}`;
    }
  });
  copyFileSync(join(VBM, 'vbm_mask.nii.gz'), join(dir, 'mask.nii.gz'));
  const path = join(dir, 'job.json');
  writeFileSync(
    path,
    JSON.stringify({ pipeline: 'glm', inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz' }, params: { contrasts: ['G1-G2'], covariates: ['TIV'], smoothFwhmMm: 3 }, ...job }, null, 2),
  );
  return path;
}

/** Submit, then return the object-created records the upload produced (in order). */
async function submitAndCollect(path: string): Promise<S3EventRecord[]> {
  const before = events.length;
  await submitJob(path, { bucket: BUCKET });
  await new Promise((r) => setTimeout(r, 50));
  return events.slice(before).filter((e) => e.eventName.startsWith('ObjectCreated:'));
}

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET, RESULTS], onEvent: (r) => events.push(r) });
  restoreEnv = server.useEnv();
  resetS3Clients();
});

afterAll(async () => {
  resetS3Clients();
  await server.stop();
  restoreEnv();
  rmSync(root, { recursive: true, force: true });
});

describe('event mapping', () => {
  it('matches the rule pattern jobs/*/job.json only', () => {
    expect(isJobSpecKey('jobs/a/job.json')).toBe(true);
    expect(isJobSpecKey('jobs/team/a/job.json')).toBe(true);
    expect(isJobSpecKey('jobs/a/maps/job.json.bak')).toBe(false);
    expect(isJobSpecKey('jobs/a/participants.tsv')).toBe(false);
    expect(isJobSpecKey('results/a/job.json')).toBe(false);
    expect(isJobSpecKey('jobs/job.json')).toBe(false);
  });

  it('maps an EventBridge Object Created event as the input transformer does', () => {
    const event = {
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { bucket: { name: 'in' }, object: { key: 'jobs/x/job.json', size: 10, etag: 'abc123', 'version-id': 'v1.Z', sequencer: '00AB' } },
    };
    const input = triggerInputFromEventBridge(event);
    expect(input).toEqual({ bucket: 'in', key: 'jobs/x/job.json', versionId: 'v1.Z', etag: 'abc123' });
    const name = executionName(input);
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    expect(executionName({ ...input, versionId: 'v2' })).not.toBe(name);
  });
});

describe('execution name', () => {
  it('is what the trigger ASL derives (States.Hash of key#versionId#etag), checked where the emulator hashes correctly', async () => {
    // aws-local-stepfunctions 3.0 mis-hashes inputs of 56+ bytes; below that its States.Hash is SHA-256
    const input = { bucket: BUCKET, key: 'jobs/a/job.json', versionId: 'v1', etag: 'e0' };
    expect(`${input.key}#${input.versionId}#${input.etag}`.length).toBeLessThan(56);
    const outcome = await runTriggerLocal(input, { outDir: join(root, 'names'), threads: 1 });
    expect(outcome.status).toBe('failed'); // no such object: the router's Validate records it
    expect(outcome.aslName).toBe(executionName(input));
    expect(outcome.name).toBe(executionName(input));
  });
});

describe('upload trigger, end to end through the S3 API server', () => {
  const out = join(root, 'out');
  let first: TriggerInput;

  it('runs a submitted job to results/<jobId>/ in the S3 server through trigger, router and the glm workflow', async () => {
    const path = jobFolder('vbm', { jobId: 'trigger-vbm' });
    const created = await submitAndCollect(path);
    expect(created.length).toBe(24 + 3);
    const specs = created.filter((e) => isJobSpecKey(decodeURIComponent(e.s3.object.key)));
    expect(specs.length).toBe(1);
    expect(created.at(-1)).toBe(specs[0]); // job.json last: inputs are complete when the trigger fires
    first = triggerInputFromS3Record(specs[0]!);
    expect(first).toMatchObject({ bucket: BUCKET, key: 'jobs/trigger-vbm/job.json' });

    const before = events.length;
    const outcome = await runTriggerLocal(first, { outDir: out, threads: 2 });
    expect(outcome).toMatchObject({ status: 'succeeded', pipeline: 'glm', jobUri: `s3://${BUCKET}/jobs/trigger-vbm/job.json` });
    expect(outcome.name).toBe(executionName(first));
    // result.json is IN THE S3 SERVER, written last, next to the maps; nothing went to local disk
    const results = resultsOf('trigger-vbm');
    const result = await readJson<{ pipeline: string; jobId: string }>(results, 'result.json');
    expect(result).toMatchObject({ pipeline: 'glm', jobId: 'trigger-vbm' });
    expect(await results.exists('error.json')).toBe(false);
    expect((await keys(results, 'maps/')).length).toBeGreaterThan(0);
    expect((await keys(new S3Store({ bucket: BUCKET, prefix: 'work/trigger-vbm' }))).some((k) => k.endsWith('context.json'))).toBe(true);
    const written = events.slice(before).filter((e) => e.eventName.startsWith('ObjectCreated:')).map((e) => decodeURIComponent(e.s3.object.key));
    expect(written.filter((k) => k.startsWith('results/trigger-vbm/')).at(-1)).toBe('results/trigger-vbm/result.json');
    expect(written.every((k) => k.startsWith('results/trigger-vbm/') || k.startsWith('work/trigger-vbm/'))).toBe(true);
    expect(readdirSync(out)).toEqual(['.executions']);
  });

  it('starts nothing for a duplicate delivery of the same upload', async () => {
    const before = events.length;
    const outcome = await runTriggerLocal(first, { outDir: out, threads: 2 });
    expect(outcome).toMatchObject({ status: 'duplicate', name: executionName(first) });
    expect(events.length).toBe(before); // not one object written
  });

  it('treats a re-upload of job.json as a new run', async () => {
    await new Promise((r) => setTimeout(r, 5)); // s3rver's sequencer is the clock in ms
    const created = await submitAndCollect(join(root, 'src', 'vbm', 'job.json'));
    const again = triggerInputFromS3Record(created.at(-1)!);
    expect(again.key).toBe(first.key);
    expect(executionName(again)).not.toBe(executionName(first));
    const before = events.length;
    const outcome = await runTriggerLocal(again, { outDir: out, threads: 2 });
    expect(outcome.status).toBe('succeeded');
    expect(events.slice(before).some((e) => decodeURIComponent(e.s3.object.key) === 'results/trigger-vbm/result.json')).toBe(true);
  });

  it('refuses an over-budget job before any fan-out, with its estimate in error.json', async () => {
    const path = jobFolder('poor', { jobId: 'trigger-poor', budget: { maxUsd: 1e-9 } });
    const created = await submitAndCollect(path);
    const outcome = await runTriggerLocal(triggerInputFromS3Record(created.at(-1)!), { outDir: out, threads: 2 });
    expect(outcome).toMatchObject({ status: 'failed', error: 'BudgetExceeded' });
    const results = resultsOf('trigger-poor');
    const err = await readJson<{ error: string; message: string; input: string }>(results, 'error.json');
    expect(err.error).toBe('BudgetExceeded');
    expect(err.message).toMatch(/estimated cost \$\d/);
    expect(err.input).toBe('budget.maxUsd');
    expect(await results.exists('result.json')).toBe(false);
    // no shard of any Map ran: the only metrics records are validate and plan
    const metrics = (await keys(new S3Store({ bucket: BUCKET, prefix: 'work/trigger-poor' }))).filter((p) => p.includes('metrics/'));
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.some((p) => /metrics\/(prepare|glmSlab|mask)/.test(p))).toBe(false);
  });

  it('records a bad spec through the router (Validate → RecordFailure) without starting a pipeline', async () => {
    const store = new S3Store({ bucket: BUCKET, prefix: 'jobs/trigger-bad' });
    const before = events.length;
    await store.put('job.json', JSON.stringify({ jobId: 'trigger-bad', pipeline: 'glm', inputs: {}, params: {} }));
    await new Promise((r) => setTimeout(r, 50));
    const rec = events.slice(before).find((e) => isJobSpecKey(decodeURIComponent(e.s3.object.key)))!;
    const outcome = await runTriggerLocal(triggerInputFromS3Record(rec), { outDir: out, threads: 2 });
    expect(outcome.status).toBe('failed');
    const err = await readJson<{ error: string }>(resultsOf('trigger-bad'), 'error.json');
    expect(err.error).toBe('InvalidJobSpec');
    expect(outcome).toMatchObject({ error: 'InvalidJobSpec' });
  });
});

describe('cloud CLI storage commands against the S3 API server', () => {
  it('submit refuses local absolute input paths', async () => {
    const dir = join(root, 'src', 'abs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({ jobId: 'abs', pipeline: 'glm', inputs: { participants: '/etc/participants.tsv', mask: 'mask.nii.gz' }, params: { contrasts: ['G1-G2'] } }),
    );
    await expect(submitJob(join(dir, 'job.json'), { bucket: BUCKET })).rejects.toMatchObject({ name: 'UnsafeInputKey', input: 'inputs.participants' });
  });

  it('fetch downloads results/<jobId>/ byte for byte', async () => {
    // the triggered run above wrote results/trigger-vbm/ into the input bucket; copy them to a results bucket too
    const src = resultsOf('trigger-vbm');
    const dst = new S3Store({ bucket: RESULTS, prefix: 'results/trigger-vbm' });
    const files = await keys(src);
    expect(files).toContain('result.json');
    for (const f of files) await dst.put(f, await src.get(f));
    for (const bucket of [BUCKET, RESULTS]) {
      const r = await fetchResults('trigger-vbm', { bucket, out: join(root, `fetched-${bucket}`) });
      expect(r.status).toBe('succeeded');
      expect(r.files.length).toBe(files.length);
      for (const f of files) expect(Buffer.from(readFileSync(join(r.dir, f))).equals(Buffer.from(await src.get(f))), f).toBe(true);
    }
    await expect(fetchResults('no-such-job', { bucket: RESULTS, out: join(root, 'fetched') })).rejects.toMatchObject({ name: 'MissingInput' });
  });
});
