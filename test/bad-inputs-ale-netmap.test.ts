/**
 * The bad-input corpus for ALE and netmap: each case a tiny synthetic job, refused by name in
 * Validate (before any fan-out) naming the offending field or file, or accepted with a warning
 * in result.json and the CLI summary (test/helpers/bad-input-corpus.ts checks both). The cases
 * and their builders are in test/helpers/bad-inputs-ale-netmap.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalStore } from '../shared/storage/index.ts';
import { recordFailure } from '../shared/runtime/failure.ts';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../bin/run.ts';
import { exitCodeFor } from '../bin/exit-codes.ts';
import { tmpDir } from './helpers/tmp.ts';
import { describeCorpus, filesUnder } from './helpers/bad-input-corpus.ts';
import { ALE_EXPERIMENTS, aleCases, aleJob, netmapCases, netmapJob, sleuthText, withNaNAt } from './helpers/bad-inputs-ale-netmap.ts';
import { recordWarnings, recordedWarnings } from '../shared/pipelines/common/finish.ts';

describeCorpus('bad inputs: ALE', aleCases);
describeCorpus('bad inputs: netmap', netmapCases);

describe('netmap: a fault only the connectome workers can see', () => {
  it('a NaN past the Validate sample fails the job with InvalidConnectome naming the file, not the Map threshold error', async () => {
    const dir = tmpDir('nb-bad-deep-');
    // the last volume of subject 3's second run: beyond the 64 KiB Validate reads
    const job = netmapJob(dir, { connectome: { subjectBytes: (s, b) => (s === 2 ? withNaNAt(b, 23) : b) } });
    const r = await executeJob(job, { out: join(dir, '__out'), progress: false });
    expect(r.status).toBe('failed');
    expect(r.error?.error, JSON.stringify(r.error)).toBe('InvalidConnectome');
    expect(r.error?.input).toMatch(/subjects\/sub-0003\.f32$/);
    expect(r.error?.message).toMatch(/6410 non-finite value\(s\)/);
    expect(r.exitCode).toBe(exitCodeFor('InvalidConnectome'));
    const recorded = JSON.parse(readFileSync(r.errorRecord!, 'utf8'));
    expect(recorded.error).toBe('InvalidConnectome');
    expect(existsSync(join(r.resultsDir!, 'result.json'))).toBe(false);
  }, 120_000);
});

describe('a failed Distributed Map reports the underlying error', () => {
  const setup = (entries: unknown[]) => {
    const dir = tmpDir('nb-mapfail-');
    const store = new LocalStore(join(dir, 'store'));
    const env = { store, layout: { work: (id: string, ...p: (string | number)[]) => ['work/' + id, ...p.map(String)].join('/'), results: (id: string, ...p: (string | number)[]) => ['results/' + id, ...p.map(String)].join('/') } };
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify({ jobId: 'mapfail', pipeline: 'netmap' }));
    return { env, store, jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, put: () => store.put('work/mapfail/abc123/map-runs/chunks/run-1/FAILED_0.json', JSON.stringify(entries)) };
  };
  const thrown = { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'The specified tolerated failure threshold was exceeded' };

  it('a worker that died (no shard record): the failed child of the map run export, Lambda cause unwrapped', async () => {
    const record = { error: 'InvalidConnectome', message: 'subject file truncated', input: 's3://b/c/subjects/sub-1.f32' };
    const s = setup([
      { Name: 'a', Status: 'FAILED', Error: 'Sandbox.Timedout', Cause: 'Task timed out after 900.00 seconds', StopDate: '2026-01-01T00:00:01.000Z' },
      { Name: 'b', Status: 'FAILED', Error: 'InvalidConnectome', Cause: JSON.stringify({ errorType: 'InvalidConnectome', errorMessage: JSON.stringify(record), trace: [] }), StopDate: '2026-01-01T00:00:02.000Z' },
    ]);
    await s.put();
    const r = await recordFailure(s.env, s.jobUri, thrown);
    expect(r).toEqual(record);
    expect(JSON.parse(await s.store.getText('results/mapfail/error.json'))).toEqual(record);
  });

  it('a timeout alone: its name and message, not the threshold error', async () => {
    const s = setup([{ Name: 'a', Status: 'FAILED', Error: 'Sandbox.Timedout', Cause: 'Task timed out after 900.00 seconds', StopDate: '2026-01-01T00:00:01.000Z' }]);
    await s.put();
    expect(await recordFailure(s.env, s.jobUri, thrown)).toEqual({ error: 'Sandbox.Timedout', message: 'Task timed out after 900.00 seconds', input: '' });
  });

  it('without any export or record the threshold error stays', async () => {
    const s = setup([]);
    expect((await recordFailure(s.env, s.jobUri, thrown)).error).toBe('States.ExceedToleratedFailureThreshold');
  });
});

describe('warnings recorded by stages (common/finish.ts)', () => {
  it('are read back per stage in key order without duplicates; an empty list removes the stage file', async () => {
    const store = new LocalStore(tmpDir('nb-warn-'));
    const env = { store, layout: { work: (id: string, ...p: (string | number)[]) => ['work/' + id, ...p.map(String)].join('/'), results: (id: string) => 'results/' + id } };
    await recordWarnings(env, 'work/j/h', 'validation', ['a', 'b']);
    await recordWarnings(env, 'work/j/h', 'slab-000001', ['b', 'c']);
    await recordWarnings(env, 'work/j/h', 'plan', []);
    expect(await recordedWarnings(env, 'work/j/h')).toEqual(['b', 'c', 'a']);
    await recordWarnings(env, 'work/j/h', 'slab-000001', []);
    expect(await recordedWarnings(env, 'work/j/h')).toEqual(['a', 'b']);
    await expect(recordWarnings(env, 'work/j/h', '../x', ['a'])).rejects.toThrow(/safe/);
  });

  it('reach result.json once, after the result\'s own warnings (ALE: a parser note and a placement warning)', async () => {
    const dir = tmpDir('nb-warn-ale-');
    const coords = sleuthText(ALE_EXPERIMENTS.map((e, i) => (i === 1 ? { ...e, foci: [...e.foci, [60, 0, 0]] } : e))).replace('// Gamma', '// Reference=Talairach\n// Gamma');
    const r = await executeJob(aleJob(dir, { coordinates: coords }), { out: join(dir, '__out'), progress: false });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    const result = JSON.parse(readFileSync(r.result!, 'utf8'));
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toMatch(/a second Reference line/);
    expect(result.warnings[1]).toBe('coords.txt: experiment "Beta 2003: task": 1 focus lies outside inputs.mask (of 3; kept, their kernels still reach in-mask voxels)');
    expect(r.summary?.warnings).toEqual(result.warnings);
  }, 120_000);
});

describe('ALE experiment names are never path components', () => {
  it('names with "/" (the Sleuth study / experiment separator) and ".." run, every output inside the results folder under a fixed name', async () => {
    const dir = tmpDir('nb-ale-names-');
    const names = ['../../../escape: task', 'Study A / Experiment 1', '..', 'C:\\evil'];
    const r = await executeJob(aleJob(dir, { coordinates: sleuthText(ALE_EXPERIMENTS.map((e, i) => ({ ...e, name: names[i]! }))) }), { out: join(dir, '__out'), progress: false });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    const result = JSON.parse(readFileSync(r.result!, 'utf8'));
    for (const f of result.outputs as string[]) expect(f).toMatch(/^(job\.json|result\.json|report\.html|dataset_description\.json|(maps|tables)\/[A-Za-z0-9._-]+)$/);
    expect(filesUnder(dir).filter((f) => !f.startsWith('__out/') && !['coords.txt', 'mask.nii.gz', 'job.json'].includes(f))).toEqual([]);
    expect(Object.keys(result.clusters[0].contributions).sort()).toEqual([...names].sort());
  }, 120_000);
});
