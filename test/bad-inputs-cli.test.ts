/**
 * The bad-input corpus of the command line and the job file itself: `--threads`, `--out`,
 * job.json that is not JSON or not an object, pipelines that are not pipelines (including
 * Object.prototype names), unsafe job ids and malformed common fields. Each case runs as
 * `neuroburst run` does (executeJob, in process) and is checked by the corpus harness. The
 * spawned-CLI forms of a few of these (stderr, no stack trace) are in test/cli.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../bin/run.ts';
import { parseThreads, prepareOutDir } from '../bin/options.ts';
import { EXIT } from '../bin/exit-codes.ts';
import { describeCorpus, type BadCase } from './helpers/bad-input-corpus.ts';
import { tinyGlm } from './helpers/bad-inputs.ts';
import { tmpDir } from './helpers/tmp.ts';

type Json = Record<string, any>;

/** A job.json with this text (no inputs needed: it fails before reading any). */
const jobText = (text: string) => (dir: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'job.json'), text);
  return join(dir, 'job.json');
};
/** The tiny glm job with its spec edited. */
const spec = (edit: (j: Json) => void) => (dir: string) => tinyGlm(dir, { spec: edit });

const threads: BadCase[] = ['abc', '0', '-1', '1.5', '', ' ', '1e2', '0x10', '257', 'NaN', '2abc', 'Infinity', '+3'].map((t) => ({
  name: `--threads "${t}"`,
  build: tinyGlm,
  threads: t,
  error: 'InvalidParameter',
  input: '--threads',
  message: /--threads must be a whole number from 1 to 256/,
  maxSeconds: 5,
}));

const out: BadCase[] = [
  { name: '--out pointing at a file', build: (d) => (writeFileSync(join(d, 'a-file'), 'keep me'), tinyGlm(d)), out: (d) => join(d, 'a-file'), error: 'InvalidParameter', input: '--out', message: /not a writable folder/, maxSeconds: 5 },
  { name: '--out under a file', build: (d) => (writeFileSync(join(d, 'a-file'), 'keep me'), tinyGlm(d)), out: (d) => join(d, 'a-file', 'sub', 'dir'), error: 'InvalidParameter', input: '--out', maxSeconds: 5 },
  { name: '--out /proc/x fails fast (no recursive-mkdir spin)', build: tinyGlm, out: () => '/proc/neuroburst-corpus/x', error: 'InvalidParameter', input: '--out', maxSeconds: 5 },
  { name: '--out /proc/self/x', build: tinyGlm, out: () => '/proc/self/neuroburst-corpus', error: 'InvalidParameter', input: '--out', maxSeconds: 5 },
  { name: '--out /dev/null/x', build: tinyGlm, out: () => '/dev/null/neuroburst-corpus', error: 'InvalidParameter', input: '--out', maxSeconds: 5 },
];

const job: BadCase[] = [
  // the file
  { name: 'job.json is not JSON', build: jobText('jobId: x\npipeline: glm\n'), error: 'InvalidJobSpec', input: 'job.json', message: /not valid JSON/ },
  { name: 'job.json is empty', build: jobText(''), error: 'InvalidJobSpec', input: 'job.json' },
  { name: 'job.json is cut off', build: jobText('{"jobId": "x", "pipeline": "gl'), error: 'InvalidJobSpec', input: 'job.json' },
  { name: 'job.json is an array', build: jobText('[{"jobId": "x", "pipeline": "glm"}]'), error: 'InvalidJobSpec', input: 'job.json' },
  { name: 'job.json is a string', build: jobText('"glm"'), error: 'InvalidJobSpec', input: 'job.json' },
  { name: 'job.json is null', build: jobText('null'), error: 'InvalidJobSpec', input: 'job.json' },
  { name: 'job.json is a text file (contents not echoed)', build: jobText('root:x:0:0:root:/root:/bin/bash\n'), error: 'InvalidJobSpec', input: 'job.json', notInMessage: ['/root', '/bin/bash'] },
  { name: 'job.json does not exist', build: (d) => join(d, 'nothing', 'job.json'), error: 'MissingInput' },
  // the pipeline
  ...['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', '', 'GLM', 'glm ', 'spm'].map((p): BadCase => ({ name: `pipeline "${p}"`, build: spec((j) => (j.pipeline = p)), error: 'InvalidJobSpec', input: 'pipeline', message: /is not available; choose one of: .*glm/ })),
  { name: 'pipeline a number', build: spec((j) => (j.pipeline = 42)), error: 'InvalidJobSpec', input: 'pipeline' },
  { name: 'pipeline a list', build: spec((j) => (j.pipeline = ['glm'])), error: 'InvalidJobSpec', input: 'pipeline' },
  { name: 'no pipeline', build: spec((j) => delete j.pipeline), error: 'InvalidJobSpec', input: 'pipeline' },
  // the job id names the results folder
  ...['../x', '../../etc', 'a/b', 'a\\b', '.', '..', '.hidden', '-x', 'a b', 'x\u0000y', 'é', 'a'.repeat(81), ''].map((id): BadCase => ({ name: `jobId ${JSON.stringify(id)}`, build: spec((j) => (j.jobId = id)), error: 'InvalidJobSpec', input: 'jobId' })),
  { name: 'jobId a number', build: spec((j) => (j.jobId = 7)), error: 'InvalidJobSpec', input: 'jobId' },
  { name: 'no jobId', build: spec((j) => delete j.jobId), error: 'InvalidJobSpec', input: 'jobId' },
  // common fields
  { name: 'an unknown top-level field', build: spec((j) => (j.priority = 'high')), error: 'InvalidJobSpec', input: 'job.json' },
  { name: 'no inputs', build: spec((j) => delete j.inputs), error: 'InvalidJobSpec', input: 'inputs' },
  { name: 'no params', build: spec((j) => delete j.params), error: 'InvalidJobSpec', input: 'params' },
  { name: 'a negative budget', build: spec((j) => (j.budget = { maxUsd: -1 })), error: 'InvalidJobSpec', input: 'budget.maxUsd' },
  { name: 'a concurrency of 0', build: spec((j) => (j.budget = { maxConcurrency: 0 })), error: 'InvalidJobSpec', input: 'budget.maxConcurrency' },
  { name: 'a fractional seed', build: spec((j) => (j.seed = 1.5)), error: 'InvalidJobSpec', input: 'seed' },
  { name: 'a seed of 2^32', build: spec((j) => (j.seed = 2 ** 32)), error: 'InvalidJobSpec', input: 'seed' },
];

describeCorpus('--threads: a whole number from 1 to 256, checked before anything runs', threads);
describeCorpus('--out: a writable folder, checked fast before anything runs', out);
describeCorpus('job.json: refused by name before any input is read', job);

describe('where the CLI says the error record is', () => {
  it('an unparseable job: invalid-job/error.json; an unsafe jobId never names a folder', async () => {
    const dir = tmpDir('nb-bad-cli-');
    const r = await executeJob(spec((j) => (j.jobId = '../escape'))(join(dir, 'in')), { out: join(dir, 'out'), progress: false });
    expect(r.error?.error).toBe('InvalidJobSpec');
    expect(r.errorRecord).toBe(join(dir, 'out', 'invalid-job', 'error.json'));
    expect(existsSync(join(dir, 'escape'))).toBe(false);
  });
  it('a job with a valid jobId that fails validation: that job\'s own error.json', async () => {
    const dir = tmpDir('nb-bad-cli-');
    const r = await executeJob(spec((j) => (j.params.contrasts = ['A-Z']))(join(dir, 'in')), { out: join(dir, 'out'), progress: false });
    expect(r.exitCode).toBe(EXIT.input);
    expect(r.errorRecord).toBe(join(dir, 'out', 'tiny-glm', 'error.json'));
    expect(JSON.parse(readFileSync(r.errorRecord!, 'utf8')).input).toBe('params.contrasts[0]');
  });
  it('--out pointing at a file leaves the file as it was and writes no error record', async () => {
    const dir = tmpDir('nb-bad-cli-');
    writeFileSync(join(dir, 'a-file'), 'keep me');
    const r = await executeJob(tinyGlm(join(dir, 'in')), { out: join(dir, 'a-file'), progress: false });
    expect(r.error?.input).toBe('--out');
    expect(r.errorRecord).toBeNull();
    expect(readFileSync(join(dir, 'a-file'), 'utf8')).toBe('keep me');
  });
});

describe('the option parsers on their own', () => {
  it('--threads accepts 1..256 (surrounding spaces trimmed) and nothing else', () => {
    expect(parseThreads(undefined)).toBeUndefined();
    expect(parseThreads('1')).toBe(1);
    expect(parseThreads(' 8 ')).toBe(8);
    expect(parseThreads('256')).toBe(256);
    for (const bad of ['0', '257', '1.0', '08x', '-0', '1,2']) expect(() => parseThreads(bad), bad).toThrow(/--threads/);
  });
  it('--out: creates missing folders one at a time and returns the absolute path', () => {
    const dir = tmpDir('nb-bad-cli-');
    const target = join(dir, 'a', 'b', 'c');
    expect(prepareOutDir(target)).toBe(target);
    expect(existsSync(target)).toBe(true);
  });
});
