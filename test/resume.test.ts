/**
 * Resume, verified intermediates and content-addressed work, through the embedded runner
 * (same ASL as on AWS): a job killed mid-stage resumes to byte-identical outputs and keeps the
 * billed time of the shards it computed before the kill; a corrupt intermediate (truncated,
 * zeros, random bytes of the same length, NaN) is recomputed and counted, never trusted; a
 * changed input (a subject map replaced in place, edited TIV values) never reuses old
 * intermediates while an unchanged one always does; a run owns its results folder.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal, type LocalRunOutcome } from '../runner/local.ts';
import { handlers } from '../functions/index.ts';
import { ENVELOPE_HEADER_BYTES, LocalStore } from '../shared/storage/index.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { FIXTURES, VBM, vbmJob } from './helpers/fixture-job.ts';
import { tmpDir } from './helpers/tmp.ts';

type Handler = (e: unknown) => Promise<unknown>;

/** A handler that runs the real one `n` times, then fails every call as a killed worker would. */
function killAfter(name: string, n: number): Record<string, Handler> {
  let calls = 0;
  return {
    [name]: async (e) => {
      if (calls++ >= n) {
        const err = new Error('worker killed');
        err.name = 'Killed';
        throw err;
      }
      return (handlers[name] as Handler)(e);
    },
  };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Every map and table of a results folder, byte for byte (result.json and the report carry times and costs). */
function outputsOf(resultDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of walk(resultDir)) if (f.startsWith('maps/') || f.startsWith('tables/')) out[f] = readFileSync(join(resultDir, f)).toString('base64');
  return out;
}

const resultOf = (resultDir: string) => JSON.parse(readFileSync(join(resultDir, 'result.json'), 'utf8'));

function succeeded(o: LocalRunOutcome): void {
  if (o.status !== 'succeeded') throw new Error(`${o.error}: ${o.message}`);
}

/** The one spec folder under <out>/.work/<jobId>/ that holds `marker`. */
function workDirOf(out: string, jobId: string, marker: string): string {
  const base = join(out, '.work', jobId);
  const specs = readdirSync(base).filter((d) => existsSync(join(base, d, marker)));
  if (specs.length !== 1) throw new Error(`expected one spec folder with ${marker} in ${base}, found ${specs.length}`);
  return join(base, specs[0]!);
}

describe('glm: kill and resume, corrupt slabs, changed inputs, stale outputs', () => {
  const root = tmpDir('nb-resume-glm-');
  const inputs = join(root, 'in');
  const maps = join(root, 'maps');
  // the maps are copies, so one can be replaced in place
  let rows: string[][] = [];
  const copyMaps = (r: string[][]) => {
    for (const row of r) {
      const dst = join(maps, `${row[0]}.nii.gz`);
      if (!existsSync(dst)) copyFileSync(row[3]!, dst);
      row[3] = dst;
    }
    rows = r.map((x) => [...x]);
  };
  const params = { contrasts: ['G1-G2', 'G2-G1'], slabs: 4 };
  let jobPath = '';
  const run = (out: string, localHandlers?: Record<string, Handler>) => runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'glm', outDir: out, threads: 2, localHandlers });
  const clean = join(root, 'clean');
  const out = join(root, 'out');
  let reference: Record<string, string> = {};
  let cleanResult: Record<string, any> = {};

  beforeAll(() => {
    mkdirSync(maps, { recursive: true });
  });

  it('a clean run (the reference)', async () => {
    jobPath = vbmJob(inputs, { jobId: 'resume-glm', params, edit: copyMaps });
    succeeded(await run(clean));
    reference = outputsOf(join(clean, 'resume-glm'));
    cleanResult = resultOf(join(clean, 'resume-glm'));
    expect(Object.keys(reference).length).toBeGreaterThan(4);
    expect(cleanResult.cost.resume).toEqual({ skipped: 0, recomputed: 0 });
  }, 120_000);

  it('killed after two of four slabs, resumes to byte-identical outputs and keeps the killed attempt’s billed slab time', async () => {
    const killed = await run(out, killAfter('GlmSlab', 2));
    expect(killed.status).toBe('failed');
    expect(existsSync(join(out, 'resume-glm', 'result.json'))).toBe(false);
    expect(walk(join(out, 'resume-glm'))).toEqual(['error.json']);
    const work = workDirOf(out, 'resume-glm', 'slabs.json');
    const before = Object.fromEntries(walk(join(work, 'metrics', 'glmSlab')).map((f) => [f, JSON.parse(readFileSync(join(work, 'metrics', 'glmSlab', f), 'utf8')).billedMs as number]));
    expect(Object.keys(before)).toHaveLength(2);

    succeeded(await run(out));
    const dir = join(out, 'resume-glm');
    expect(outputsOf(dir)).toEqual(reference);
    const r = resultOf(dir);
    expect(r.cost.resume.recomputed).toBe(0);
    expect(r.cost.resume.skipped).toBeGreaterThanOrEqual(2 * 2 * 2 + rows.length); // two slabs × two contrasts × (t, smooth), every prepared map
    for (const [f, ms] of Object.entries(before)) {
      const now = JSON.parse(readFileSync(join(work, 'metrics', 'glmSlab', f), 'utf8'));
      expect(now.billedMs, f).toBeGreaterThanOrEqual(ms);
      expect(now.skipped, f).toBeGreaterThan(0);
    }
    expect(r.cost.invocations).toBe(cleanResult.cost.invocations);
  }, 240_000);

  it('a truncated t slab and a zeroed smoothness slab are recomputed (counted), never trusted', async () => {
    const work = workDirOf(out, 'resume-glm', 'slabs.json');
    const t = join(work, 'slabs', '00001', 't_0.f32');
    truncateSync(t, statSync(t).size - 100);
    const s = join(work, 'slabs', '00002', 'smooth_1.f64');
    writeFileSync(s, Buffer.alloc(statSync(s).size));
    succeeded(await run(out));
    const dir = join(out, 'resume-glm');
    expect(outputsOf(dir)).toEqual(reference);
    expect(resultOf(dir).cost.resume.recomputed).toBe(2);
  }, 120_000);

  it('a subject map replaced in place gives fresh statistics (a new work folder; the old one is removed)', async () => {
    const before = resultOf(join(out, 'resume-glm'));
    const oldWork = workDirOf(out, 'resume-glm', 'slabs.json');
    copyFileSync(join(VBM, `vbm_gm_${rows[1]![0]}.nii.gz`), rows[0]![3]!);
    succeeded(await run(out));
    const after = resultOf(join(out, 'resume-glm'));
    expect(after.specHash).not.toBe(before.specHash);
    expect(after.contrasts['G1-G2'].maxT).not.toBe(before.contrasts['G1-G2'].maxT);
    expect(after.cost.resume.skipped).toBe(0);
    expect(existsSync(oldWork)).toBe(false);
    // the same numbers as a fresh run on the changed inputs
    const fresh = join(root, 'fresh');
    succeeded(await run(fresh));
    expect(outputsOf(join(out, 'resume-glm'))).toEqual(outputsOf(join(fresh, 'resume-glm')));
    // and an unchanged re-run resumes: everything skipped, the same outputs
    succeeded(await run(out));
    const again = resultOf(join(out, 'resume-glm'));
    expect(again.specHash).toBe(after.specHash);
    expect(again.cost.resume.skipped).toBeGreaterThan(0);
    expect(again.cost.resume.recomputed).toBe(0);
    expect(outputsOf(join(out, 'resume-glm'))).toEqual(outputsOf(join(fresh, 'resume-glm')));
  }, 360_000);

  it('edited TIV values give fresh statistics', async () => {
    const before = resultOf(join(out, 'resume-glm'));
    const tsv = join(inputs, 'participants.tsv');
    const lines = readFileSync(tsv, 'utf8').trim().split('\n');
    const edited = lines.map((l, i) => (i === 0 ? l : l.split('\t').map((c, j) => (j === 2 ? String(Number(c) * (1 + (i % 5) / 10)) : c)).join('\t')));
    writeFileSync(tsv, edited.join('\n') + '\n');
    succeeded(await run(out));
    const after = resultOf(join(out, 'resume-glm'));
    expect(after.specHash).not.toBe(before.specHash);
    expect(after.contrasts['G1-G2'].maxT).not.toBe(before.contrasts['G1-G2'].maxT);
  }, 120_000);

  it('a re-run with one contrast fewer leaves no maps of the removed contrast; a failing re-run leaves error.json alone', async () => {
    const dir = join(out, 'resume-glm');
    expect(walk(dir).some((f) => f.includes('G2-G1'))).toBe(true);
    const job = JSON.parse(readFileSync(jobPath, 'utf8'));
    job.params.contrasts = ['G1-G2'];
    writeFileSync(jobPath, JSON.stringify(job));
    succeeded(await run(out));
    const files = walk(dir);
    expect(files.filter((f) => f.includes('G2-G1'))).toEqual([]);
    expect(files.filter((f) => !['result.json', 'job.json'].includes(f)).every((f) => resultOf(dir).outputs.includes(f))).toBe(true);

    job.inputs.mask = join(root, 'no-such-mask.nii.gz');
    writeFileSync(jobPath, JSON.stringify(job));
    const failed = await run(out);
    expect(failed.status).toBe('failed');
    expect(walk(dir)).toEqual(['error.json']);
    // inputs untouched
    expect(existsSync(rows[0]![3]!)).toBe(true);
    expect(relative(inputs, jobPath)).toBe('job.json');
  }, 240_000);
});

describe('ale: kill and resume, corrupt Monte-Carlo shards', () => {
  const root = tmpDir('nb-resume-ale-');
  const jobPath = join(root, 'job.json');
  const run = (out: string, localHandlers?: Record<string, Handler>) => runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'ale', outDir: out, threads: 2, localHandlers });
  let reference: Record<string, string> = {};
  let cleanResult: Record<string, any> = {};
  const out = join(root, 'out');

  beforeAll(async () => {
    writeFileSync(jobPath, JSON.stringify({ jobId: 'resume-ale', pipeline: 'ale', seed: 5, inputs: { coordinates: join(FIXTURES, 'ale', 'nidm_pain_dset.json') }, params: { iterations: 30, batchSize: 5 } }));
    succeeded(await run(join(root, 'clean')));
    reference = outputsOf(join(root, 'clean', 'resume-ale'));
    cleanResult = resultOf(join(root, 'clean', 'resume-ale'));
  }, 240_000);

  it('killed after two Monte-Carlo batches, resumes to byte-identical outputs', async () => {
    const killed = await run(out, killAfter('AleMonteCarlo', 2));
    expect(killed.status).toBe('failed');
    succeeded(await run(out));
    const dir = join(out, 'resume-ale');
    expect(outputsOf(dir)).toEqual(reference);
    const r = resultOf(dir);
    expect(r.cost.resume.skipped).toBeGreaterThanOrEqual(2);
    expect(r.cost.resume.recomputed).toBe(0);
    expect(r.cost.invocations).toBe(cleanResult.cost.invocations);
  }, 240_000);

  it('Monte-Carlo shards overwritten with random bytes of the same length, zeros, and NaN are recomputed to the right answer', async () => {
    const work = workDirOf(out, 'resume-ale', 'observed.json');
    const shards = walk(join(work, 'montecarlo')).map((f) => join(work, 'montecarlo', f));
    expect(shards.length).toBe(6);
    const [a, b, c] = shards as [string, string, string];
    writeFileSync(a, randomBytes(statSync(a).size));
    writeFileSync(b, Buffer.alloc(statSync(b).size));
    const body = readFileSync(c);
    const nan = new Float64Array((body.length - ENVELOPE_HEADER_BYTES) / 8).fill(NaN);
    Buffer.from(nan.buffer).copy(body, ENVELOPE_HEADER_BYTES);
    writeFileSync(c, body);
    succeeded(await run(out));
    const dir = join(out, 'resume-ale');
    expect(outputsOf(dir)).toEqual(reference);
    expect(resultOf(dir).cost.resume.recomputed).toBe(3);
  }, 240_000);

  it('a reducer that finds a Monte-Carlo shard missing fails by name, with no result.json', async () => {
    const work = workDirOf(out, 'resume-ale', 'observed.json');
    const gone = join(work, 'montecarlo', '000002.f64');
    const outcome = await run(out, {
      AleReduce: async (e) => {
        rmSync(gone);
        return (handlers.AleReduce as Handler)(e);
      },
    });
    expect(outcome).toMatchObject({ status: 'failed', error: 'CorruptIntermediate' });
    const err = JSON.parse(readFileSync(join(out, 'resume-ale', 'error.json'), 'utf8'));
    expect(err).toMatchObject({ error: 'CorruptIntermediate' });
    expect(err.input).toMatch(/montecarlo\/000002\.f64$/);
    expect(walk(join(out, 'resume-ale'))).toEqual(['error.json']);
  }, 240_000);
});

describe('reho: kill and resume, unchanged re-run', () => {
  const root = tmpDir('nb-resume-reho-');
  const jobPath = join(root, 'job.json');
  const run = (out: string, localHandlers?: Record<string, Handler>) => runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'reho', outDir: out, threads: 2, localHandlers });
  const out = join(root, 'out');
  let reference: Record<string, string> = {};

  beforeAll(async () => {
    writeFileSync(join(root, 'participants.tsv'), `participant_id\tfunc\na\t${join(VBM, 'reho_func4d.nii.gz')}\nb\t${join(VBM, 'reho_func4d.nii.gz')}\n`);
    writeFileSync(jobPath, JSON.stringify({ jobId: 'resume-reho', pipeline: 'reho', inputs: { participants: 'participants.tsv', mask: join(VBM, 'reho_mask.nii.gz') }, params: { preprocess: false, slabs: 4 } }));
    succeeded(await run(join(root, 'clean')));
    reference = outputsOf(join(root, 'clean', 'resume-reho'));
  }, 240_000);

  it('killed after three of eight slab shards, resumes to byte-identical maps; an unchanged re-run keeps them', async () => {
    expect(Object.keys(reference).filter((f) => f.startsWith('maps/sub-') && f.endsWith('.nii.gz')).length).toBe(8);
    const killed = await run(out, killAfter('RehoSlab', 3));
    expect(killed.status).toBe('failed');
    succeeded(await run(out));
    const dir = join(out, 'resume-reho');
    expect(outputsOf(dir)).toEqual(reference);
    expect(resultOf(dir).cost.resume.skipped).toBeGreaterThanOrEqual(3);
    succeeded(await run(out));
    expect(outputsOf(dir)).toEqual(reference);
    expect(resultOf(dir).cost.resume.recomputed).toBe(0);
  }, 240_000);
});

describe('netmap: kill and resume', () => {
  const root = tmpDir('nb-resume-netmap-');
  const jobPath = join(root, 'job.json');
  const run = (out: string, localHandlers?: Record<string, Handler>) => runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'netmap', outDir: out, threads: 2, localHandlers });
  let reference: Record<string, string> = {};
  let cleanResult: Record<string, any> = {};

  beforeAll(async () => {
    const demo = demoConnectome(3, 16, 50);
    const g = demo.manifest.grid;
    const maskNifti = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
    await writeConnectome(new LocalStore(join(root, 'connectome')), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
    writeFileSync(join(root, 'seeds.csv'), ['study,x,y,z', 'thal,-12,-18,6', 'thal,-10,-20,4', 'cereb,30,-66,-30'].join('\n') + '\n');
    writeFileSync(jobPath, JSON.stringify({ jobId: 'resume-netmap', pipeline: 'netmap', inputs: { connectome: join(root, 'connectome', 'connectome.json'), seeds: 'seeds.csv' }, params: { threshold: 4, sphereDiameterMm: 12, subjectsPerShard: 3 } }));
    succeeded(await run(join(root, 'clean')));
    reference = outputsOf(join(root, 'clean', 'resume-netmap'));
    cleanResult = resultOf(join(root, 'clean', 'resume-netmap'));
  }, 240_000);

  it('killed after two of six connectome chunks, resumes to byte-identical maps', async () => {
    expect(Object.keys(reference).length).toBeGreaterThan(0);
    const out = join(root, 'out');
    const killed = await run(out, killAfter('NetmapChunk', 2));
    expect(killed.status).toBe('failed');
    succeeded(await run(out));
    const dir = join(out, 'resume-netmap');
    expect(outputsOf(dir)).toEqual(reference);
    const r = resultOf(dir);
    expect(r.cost.resume.skipped).toBeGreaterThanOrEqual(2);
    expect(r.cost.resume.recomputed).toBe(0);
    expect(r.cost.invocations).toBe(cleanResult.cost.invocations);
  }, 240_000);
});
