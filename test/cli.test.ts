/**
 * The CLI as a user meets it: `node bin/neuroburst.mjs …` in child processes — exit codes per
 * error class, the offending field named on stderr without a stack trace, error.json where a
 * job failed, --json output that parses, the run summary, progress lines off a terminal, cloud
 * commands without credentials. Jobs are tiny synthetic ones.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../shared/errors.ts';
import { NeuroburstError } from '../shared/errors.ts';
import { EXIT, exitClassOf, exitCodeFor } from '../bin/exit-codes.ts';
import { parseThreads, prepareOutDir } from '../bin/options.ts';
import { summariseResult } from '../bin/summary.ts';
import { lineProgress } from '../runner/progress.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { VBM } from './helpers/fixture-job.ts';
import { rng } from './helpers/rng.ts';
import { tmpDir } from './helpers/tmp.ts';
import { startS3Server } from './helpers/s3server.ts';
import { PutObjectCommand } from '@aws-sdk/client-s3';

const CLI = join(import.meta.dirname, '..', 'bin', 'neuroburst.mjs');
const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user without any AWS configuration (no credentials, no profile files, no instance metadata). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('NEUROBURST_') && k !== 'NODE_OPTIONS') env[k] = v;
  const none = join(work, 'no-such-aws-file');
  return { ...env, AWS_CONFIG_FILE: none, AWS_SHARED_CREDENTIALS_FILE: none, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** Run the CLI in `cwd` (stdin/stdout/stderr are pipes: not a terminal). */
function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? work, env: cleanEnv(opts.env), timeout: 120_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** No stack trace: no "    at f (file:line)" frames, no Node error banner. */
function expectNoStack(r: Ran): void {
  expect(r.stderr).not.toMatch(/^\s+at .+:\d+/m);
  expect(r.stderr).not.toMatch(/node:internal|Node\.js v\d/);
}

let work: string;

/** A tiny two-group glm job (16 synthetic 10×10×8 maps, no smoothing): a few seconds end to end. */
function tinyGlm(dir: string, job: Record<string, unknown> = {}): string {
  mkdirSync(join(dir, 'maps'), { recursive: true });
  const dims: [number, number, number] = [10, 10, 8];
  const affine = Float64Array.from([-4, 0, 0, 18, 0, 4, 0, -18, 0, 0, 4, -14, 0, 0, 0, 1]);
  const r = rng(11);
  const rows = ['participant_id\tgroup\tage\tmap'];
  for (let s = 0; s < 16; s++) {
    const data = Float32Array.from({ length: 800 }, () => 0.5 + 0.05 * r.z());
    writeFileSync(join(dir, `maps/s${s}.nii.gz`), writeNifti({ dims, affine, data }, { datatype: 'float32' }));
    rows.push([`s${s}`, s % 2 ? 'A' : 'B', 20 + s, `maps/s${s}.nii.gz`].join('\t'));
  }
  writeFileSync(join(dir, 'participants.tsv'), rows.join('\n') + '\n');
  const spec = { jobId: 'tiny', pipeline: 'glm', inputs: { participants: 'participants.tsv', mapColumn: 'map' }, params: { contrasts: ['A-B'], covariates: ['age'], smoothFwhmMm: 0 }, ...job };
  writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
  return join(dir, 'job.json');
}

/** A ReHo job whose only subject moved 10 mm halfway through (the fixture run with shifted motion parameters): excluded by motion QC. */
function rehoAllExcluded(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const rp = readFileSync(join(VBM, 'motion_rp.txt'), 'utf8').trim().split('\n');
  const moved = rp.map((line, i) => {
    const v = line.trim().split(/\s+/).map(Number);
    if (i >= rp.length / 2) v[0]! += 10;
    return v.join(' ');
  });
  writeFileSync(join(dir, 'rp.txt'), moved.join('\n') + '\n');
  writeFileSync(join(dir, 'participants.tsv'), `participant_id\tfunc\tconfounds\nsub-01\t${join(VBM, 'reho_func4d.nii.gz')}\trp.txt\n`);
  const job = { jobId: 'reho-all-out', pipeline: 'reho', inputs: { participants: 'participants.tsv', mask: join(VBM, 'reho_mask.nii.gz') }, params: { preprocess: { dropVolumes: false, nuisance: false, bandpass: false, exclusion: true } } };
  writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
  return join(dir, 'job.json');
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe('exit codes, option checks and the summary (in process)', () => {
  beforeAll(() => {
    work = tmpDir('nb-cli-unit-');
  });

  it('maps every named error of shared/errors.ts to a class other than internal, budget to 3, unnamed errors to 1', () => {
    const named = (Object.values(errors) as unknown[]).filter((v): v is new (m: string) => NeuroburstError => typeof v === 'function' && v.prototype instanceof NeuroburstError);
    expect(named.length).toBeGreaterThan(10);
    for (const E of named) {
      const name = new E('x').name;
      expect(exitCodeFor(name), name).not.toBe(EXIT.internal);
    }
    expect(exitCodeFor('InvalidJobSpec')).toBe(2);
    expect(exitCodeFor('EmptyData')).toBe(2);
    expect(exitCodeFor('BudgetExceeded')).toBe(3);
    expect(exitCodeFor('CorruptIntermediate')).toBe(4);
    expect(exitCodeFor('States.Timeout')).toBe(4);
    expect(exitCodeFor('CloudNotConfigured')).toBe(5);
    expect(exitCodeFor('CredentialsProviderError')).toBe(5);
    expect(exitCodeFor('TypeError')).toBe(1);
    expect(exitClassOf('__proto__')).toBe('internal');
    expect(exitClassOf('toString')).toBe('internal');
  });

  it('checks --threads', () => {
    expect(parseThreads(undefined)).toBeUndefined();
    expect(parseThreads('3')).toBe(3);
    for (const bad of ['abc', '0', '-1', '1.5', '1e3', '0x10', '', '100000']) {
      expect(() => parseThreads(bad), bad).toThrow(/--threads must be a whole number/);
    }
  });

  it('creates a nested --out and refuses a file or a file-system that takes no entries', () => {
    const nested = join(work, 'a', 'b', 'c');
    expect(prepareOutDir(nested)).toBe(nested);
    expect(existsSync(nested)).toBe(true);
    writeFileSync(join(work, 'file'), 'x');
    expect(() => prepareOutDir(join(work, 'file'))).toThrow(/not a folder/);
    expect(() => prepareOutDir(join(work, 'file', 'sub'))).toThrow(/file, not a folder/);
    if (existsSync('/proc/self')) expect(() => prepareOutDir('/proc/neuroburst-x/y')).toThrow(/does not accept new entries/);
  });

  it('progress lines: start and finish of stages with shard counts, failures, empty and unfinished Maps', () => {
    const lines: string[] = [];
    const p = lineProgress((l) => lines.push(l.replace(/^\[\s*[0-9.]+ s\] /, '').replace(/in [0-9.]+ s$/, 'in T')));
    p.taskStart('Plan');
    p.taskEnd('Plan', true);
    p.mapStart('Slabs', 10, 3);
    p.mapTick('Slabs', 4, true);
    p.mapTick('Slabs', 4, false);
    p.mapTick('Slabs', 2, true);
    p.mapStart('Empty', 0, 0);
    p.mapStart('Cut', 5, 5);
    p.mapTick('Cut', 1, true);
    p.taskStart('Reduce');
    p.taskEnd('Reduce', false);
    p.stop();
    expect(lines).toEqual([
      'Plan: started',
      'Plan: done in T',
      'Slabs: 10 shard(s) in 3 worker invocation(s) started',
      'Slabs: 6/10 shard(s) done, 4 FAILED in T',
      'Empty: 0 shards, nothing to run',
      'Cut: 5 shard(s) started',
      'Reduce: started',
      'Reduce: FAILED in T',
      'Cut: stopped at 1/5 shard(s)',
    ]);
  });

  it('summarises any result.json generically: nested contrasts, exclusions, warnings', () => {
    const s = summariseResult({
      pipeline: 'newpipe',
      jobId: 'j',
      warnings: ['w1'],
      excluded: [{ id: 's3', reasons: ['motion'] }],
      group: { contrasts: { 'A-B': { clusters: [{}, {}], maxT: 4 } }, warnings: ['w2', 'w1'] },
      outputs: ['a', 'b', 'c'],
      cost: { estimatedUsd: 0.2, actualUsd: 0.1 },
    });
    expect(s.contrasts).toEqual([{ name: 'group/A-B', clusters: 2, maxT: 4 }]);
    expect(s.excluded).toEqual([{ id: 's3', reasons: ['motion'] }]);
    expect(s.warnings).toEqual(['w1', 'w2']);
    expect(s.outputs).toBe(3);
    expect(s.findings).toEqual([]);
    // an ALE result counts survivors at each cFWE level
    const ale = summariseResult({ pipeline: 'ale', nExperiments: 3, nFoci: 30, maxAle: 0.02, maxAleMni: [1, 2, 3], cfwe: { '0.05': 10, '0.01': 20 }, clusters: [{ pFweSize: 0.001 }, { pFweSize: 0.03 }, { pFweSize: 0.5 }] });
    expect(ale.findings[1]).toBe('3 cluster(s) above the cluster-forming threshold; 2 survive cFWE p < 0.05, 1 survive cFWE p < 0.01');
  });
});

describe('neuroburst CLI in child processes', () => {
  const r: Record<string, Ran> = {};
  let glmJob: string;
  let rehoJob: string;
  let out: string;

  beforeAll(async () => {
    work = tmpDir('nb-cli-');
    out = join(work, 'out');
    glmJob = tinyGlm(join(work, 'glm'));
    rehoJob = rehoAllExcluded(join(work, 'reho'));
    const spec = readJson(glmJob);
    const variant = (name: string, edit: (j: Record<string, unknown>) => void) => {
      const j = structuredClone(spec);
      edit(j);
      const p = join(work, 'glm', `${name}.json`);
      writeFileSync(p, JSON.stringify(j));
      return p;
    };
    const proto = variant('proto', (j) => void (j.pipeline = '__proto__'));
    const tostring = variant('tostring', (j) => void (j.pipeline = 'toString'));
    const badContrast = variant('bad-contrast', (j) => {
      j.jobId = 'tiny-bad';
      (j.params as Record<string, unknown>).contrasts = ['A-Z'];
    });
    writeFileSync(join(work, 'a-file'), 'x');
    const cases: [string, string[]][] = [
      ['version', ['--version']],
      ['threadsAbc', ['run', glmJob, '--threads', 'abc', '--out', out]],
      ['threads0', ['run', glmJob, '--threads', '0', '--out', out]],
      ['threadsNeg', ['run', glmJob, '--threads=-1', '--out', out]],
      ['outFile', ['run', glmJob, '--out', join(work, 'a-file', 'sub')]],
      ['outProc', ['run', glmJob, '--out', '/proc/neuroburst-x']],
      ['unknownOption', ['run', glmJob, '--bogus']],
      ['proto', ['run', proto, '--out', out, '--json']],
      ['tostring', ['run', tostring, '--out', out]],
      ['badContrast', ['run', badContrast, '--out', out]],
      ['glm', ['run', glmJob, '--out', out, '--threads', '2', '--json']],
      ['glmText', ['run', glmJob, '--out', join(work, 'out2'), '--threads', '2']],
      ['reho', ['run', rehoJob, '--out', out, '--threads', '2', '--no-progress']],
      ['estimateReho', ['estimate', rehoJob, '--json']],
      ['estimateGlm', ['estimate', glmJob]],
      ['s3Run', ['run', 's3://neuroburst-test-inputs/jobs/x/job.json', '--out', out]],
      ['status', ['status', 'x', '--bucket', 'neuroburst-test-inputs', '--json']],
    ];
    // two at a time: the machine is shared
    const queue = [...cases];
    await Promise.all(
      [0, 1].map(async () => {
        for (let c = queue.shift(); c; c = queue.shift()) r[c[0]] = await cli(c[1]);
      }),
    );
  }, 300_000);

  it('--version prints the package version', () => {
    expect(r.version!.code).toBe(0);
    expect(r.version!.stdout.trim()).toBe(VERSION);
  });

  it('--threads abc / 0 / -1: InvalidParameter naming --threads, exit 2, no stack trace, nothing written', () => {
    for (const k of ['threadsAbc', 'threads0', 'threadsNeg']) {
      expect(r[k]!.code, k).toBe(2);
      expect(r[k]!.stderr, k).toMatch(/InvalidParameter: --threads must be a whole number .*\(input: --threads\)/);
      expectNoStack(r[k]!);
    }
  });

  it('--out under a file or on a file system that takes no entries fails fast by name', () => {
    expect(r.outFile!.code).toBe(2);
    expect(r.outFile!.stderr).toMatch(/InvalidParameter: --out .*a-file\/sub is not a writable folder: a part of it is a file/);
    expectNoStack(r.outFile!);
    if (!existsSync('/proc/self')) return console.log('no /proc here: the /proc --out case is not exercised');
    expect(r.outProc!.code).toBe(2);
    expect(r.outProc!.stderr).toMatch(/InvalidParameter: --out \/proc\/neuroburst-x is not a writable folder/);
    expectNoStack(r.outProc!);
  });

  it('an unknown option is a usage error (exit 2)', () => {
    expect(r.unknownOption!.code).toBe(2);
    expect(r.unknownOption!.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('pipeline "__proto__" / "toString": InvalidJobSpec naming pipeline, exit 2, error.json in the job folder', () => {
    for (const k of ['proto', 'tostring']) {
      expect(r[k]!.code, k).toBe(2);
      expect(r[k]!.stderr).toMatch(/InvalidJobSpec: pipeline ".*" is not available.*\(input: pipeline\)/);
      expectNoStack(r[k]!);
    }
    const j = JSON.parse(r.proto!.stdout);
    expect(j).toMatchObject({ status: 'failed', exitCode: 2, error: { error: 'InvalidJobSpec', input: 'pipeline' } });
    expect(j.errorRecord).toBe(join(out, 'tiny', 'error.json'));
  });

  it('a spec with a valid jobId that fails validation: the printed error.json path is that job\'s', () => {
    expect(r.badContrast!.code).toBe(2);
    expect(r.badContrast!.stderr).toMatch(/InvalidJobSpec: .*"A-Z".*\(input: params\.contrasts\[0\]\)/);
    const path = join(out, 'tiny-bad', 'error.json');
    expect(r.badContrast!.stderr).toContain(`error record: ${path}`);
    expect(r.badContrast!.stderr).not.toContain('invalid-job');
    expect(readJson(path)).toMatchObject({ error: 'InvalidJobSpec', input: 'params.contrasts[0]' });
    expect(existsSync(join(out, 'tiny-bad', 'result.json'))).toBe(false);
  });

  it('run --json: one parseable object with the summary; progress lines (not bars) on stderr', () => {
    expect(r.glm!.code, r.glm!.stderr).toBe(0);
    const j = JSON.parse(r.glm!.stdout);
    expect(j).toMatchObject({ status: 'succeeded', exitCode: 0, jobId: 'tiny', pipeline: 'glm', result: join(out, 'tiny', 'result.json') });
    const result = readJson(j.result);
    expect(j.summary.contrasts).toEqual([{ name: 'A-B', clusters: result.contrasts['A-B'].clusters.length, maxT: result.contrasts['A-B'].maxT, minT: result.contrasts['A-B'].minT }]);
    expect(j.summary.outputs).toBe(result.outputs.length);
    // start and finish of each stage, with shard counts
    expect(r.glm!.stderr).toMatch(/Validate: started/);
    expect(r.glm!.stderr).toMatch(/Validate: done in/);
    expect(r.glm!.stderr).toMatch(/PrepareSubjects: 16 shard\(s\).* started/);
    expect(r.glm!.stderr).toMatch(/PrepareSubjects: 16\/16 shard\(s\) done in/);
    expect(r.glm!.stderr).toMatch(/Reduce: done in/);
    expect(r.glm!.stderr).not.toMatch(/\u001b\[|█|░/);
  });

  it('run prints a result summary: clusters per contrast, outputs, cost', () => {
    expect(r.glmText!.code, r.glmText!.stderr).toBe(0);
    const result = readJson(join(work, 'out2', 'tiny', 'result.json'));
    expect(r.glmText!.stdout).toContain(`tiny (glm) done in`);
    expect(r.glmText!.stdout).toMatch(new RegExp(`A-B: ${result.contrasts['A-B'].clusters.length} GRF cluster\\(s\\)`));
    expect(r.glmText!.stdout).toMatch(new RegExp(`${result.outputs.length} output file\\(s\\); cost \\$`));
  });

  it('ReHo with every subject excluded: EmptyData naming params.exclusion, exit 2, error.json, no result.json, no maps', () => {
    expect(r.reho!.code).toBe(2);
    expect(r.reho!.stderr).toMatch(/EmptyData: every subject \(1\) was excluded by motion QC \(e\.g\. sub-01: max translation .*\(input: params\.exclusion\)/);
    expectNoStack(r.reho!);
    const dir = join(out, 'reho-all-out');
    expect(readJson(join(dir, 'error.json'))).toMatchObject({ error: 'EmptyData', input: 'params.exclusion' });
    expect(existsSync(join(dir, 'result.json'))).toBe(false);
    expect(existsSync(join(dir, 'maps'))).toBe(false);
    // --no-progress: no stage lines
    expect(r.reho!.stderr).not.toMatch(/Validate: started/);
  });

  it('estimate --json explains the 0-shard stages and the error the run would end with', () => {
    expect(r.estimateReho!.code).toBe(2);
    const j = JSON.parse(r.estimateReho!.stdout);
    expect(j.zeroShardStages.map((z: { stage: string }) => z.stage)).toEqual(['reho', 'maps']);
    expect(j.zeroShardStages[0].reason).toMatch(/every subject excluded/);
    expect(j.wouldFail).toMatchObject({ error: 'EmptyData', input: 'params.exclusion' });
    expect(j.estimate.stages.find((s: { stage: string }) => s.stage === 'reho').shards).toBe(0);
    expect(r.estimateGlm!.code).toBe(0);
    expect(r.estimateGlm!.stdout).toMatch(/^job tiny \(glm\)/);
    expect(r.estimateGlm!.stdout).not.toMatch(/0 shards/);
  });

  it('cloud commands without credentials say what to set (exit 5), not the raw SDK error', () => {
    for (const k of ['s3Run', 'status']) {
      expect(r[k]!.code, `${k}: ${r[k]!.stderr}`).toBe(5);
      expect(r[k]!.stderr).toMatch(/CloudNotConfigured: no AWS credentials .*AWS_PROFILE.*AWS_ACCESS_KEY_ID.*AWS_REGION.*AWS_ENDPOINT_URL/);
      expect(r[k]!.stderr).not.toMatch(/CredentialsProviderError|Could not load credentials/);
      expect(r[k]!.stderr).not.toMatch(/NodeVersionSupportWarning/);
      expectNoStack(r[k]!);
    }
    expect(JSON.parse(r.status!.stdout)).toMatchObject({ status: 'failed', exitCode: 5, error: { error: 'CloudNotConfigured' } });
    expect(existsSync(join(out, 'invalid-job'))).toBe(false);
  });

  it('fetch of a failed job prints its error and exits with its class (an S3 API server on 127.0.0.1)', async () => {
    const s3 = await startS3Server({ buckets: ['nb-cli-results'] });
    try {
      const rec = { error: 'BudgetExceeded', message: 'estimated $9 > budget $1', input: 'budget.maxUsd' };
      await s3.client.send(new PutObjectCommand({ Bucket: 'nb-cli-results', Key: 'results/j1/error.json', Body: JSON.stringify(rec) }));
      const f = await cli(['fetch', 'j1', '--results-bucket', 'nb-cli-results', '--out', join(work, 'fetched')], { env: s3.env() });
      expect(f.code, f.stderr).toBe(3);
      expect(f.stderr).toContain('neuroburst: BudgetExceeded: estimated $9 > budget $1 (input: budget.maxUsd)');
      expect(f.stdout).toMatch(/1 files .* job failed/);
      expect(readJson(join(work, 'fetched', 'j1', 'error.json'))).toEqual(rec);
    } finally {
      await s3.stop();
    }
  }, 60_000);
});
