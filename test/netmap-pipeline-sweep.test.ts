/**
 * netmap params.sweep through the embedded runner: every variant of the sweep comes from ONE
 * connectome pass, and each equals, voxel for voxel, the same configuration run as its own job
 * (its own seeds, its own pass, its own overlap). A job that changes only the threshold reuses
 * the pass (no chunk is recomputed).
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers/tmp.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { runLocal } from '../runner/local.ts';
import { writeDemoNetmap } from '../bin/connectome.ts';

const demo = demoConnectome(3, 12, 40);

// study, modality, diagnosis, coordinates (voxel centres of the 6 mm demo grid, so a 7 mm sphere holds one voxel)
const STUDIES: [string, string, string, [number, number, number][]][] = [
  ['thalA', 'structural', 'GTCS', [[-9, -21, 6], [-15, -15, 0]]],
  ['thalB', 'functional', 'JME', [[-15, -15, 6]]],
  ['cereb', 'functional', 'GTCS', [[33, -63, -30]]],
  ['front', 'structural', 'absence', [[-3, 39, 24], [-3, 45, 30]]],
  ['occip', 'functional', 'JME', [[-27, -87, 6]]],
];

const table = (rows: [string, string, string, [number, number, number][]][]) =>
  ['study,x,y,z,modality,diagnosis', ...rows.flatMap(([s, m, d, cs]) => cs.map((c) => [s, ...c, m, d].join(',')))].join('\n') + '\n';

describe('netmap sweep: all variants in one job and one connectome pass', () => {
  let base = '';
  const run = async (name: string, seeds: string, params: object, jobId = `sweep-${name}`, dir = tmpDir('nb-netmap-sweep-')) => {
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'seeds.csv'), seeds);
    const path = join(dir, 'in', 'job.json');
    writeFileSync(path, JSON.stringify({ jobId, pipeline: 'netmap', inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv' }, params: { validation: { peaks: 3 }, subjectsPerShard: 5, ...params } }));
    const outcome = await runLocal({ jobUri: pathToFileURL(path).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    const out = join(dir, 'out', jobId);
    return { outcome, dir, out, result: outcome.status === 'succeeded' ? JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) : undefined };
  };
  const map = (out: string, rel: string) => readNifti(readFileSync(join(out, rel)), rel).data;
  let sweep: Awaited<ReturnType<typeof run>>;
  const sweepParams = { sweep: { thresholds: [4, 3], sphereDiameterMm: [12, 7], subsets: ['modality'], leaveOneOut: ['diagnosis'], perCoordinate: true } };

  beforeAll(async () => {
    base = tmpDir('nb-connectome-');
    const g = demo.manifest.grid;
    const maskNifti = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
    await writeConnectome(new LocalStore(base), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
    sweep = await run('all', table(STUDIES), sweepParams);
    if (sweep.outcome.status !== 'succeeded') throw new Error(JSON.stringify(sweep.outcome));
  }, 240_000);

  it('names the variants t<T>_d<D>mm[_<col>-<lvl>|_no-<col>-<lvl>|_per-coordinate] and writes a map each and tables/sweep.csv', () => {
    const names = sweep.result.sweep.variants.map((v: any) => v.variant);
    expect(names).toEqual([
      't4_d12mm', 't3_d12mm', 't4_d7mm', 't3_d7mm',
      't4_d12mm_modality-functional', 't4_d12mm_modality-structural',
      't4_d12mm_no-diagnosis-GTCS', 't4_d12mm_no-diagnosis-JME', 't4_d12mm_no-diagnosis-absence',
      't4_d12mm_per-coordinate',
    ]);
    for (const n of names) expect(sweep.result.outputs).toContain(`maps/sweep/${n}_overlap.nii.gz`);
    const csv = readFileSync(join(sweep.out, 'tables/sweep.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('variant,threshold,diameter_mm,subset,studies,peak,peak_x,peak_y,peak_z,r_with_main');
    expect(csv).toHaveLength(names.length + 1);
    const byName = Object.fromEntries(sweep.result.sweep.variants.map((v: any) => [v.variant, v]));
    expect(byName.t4_d12mm.rWithMain).toBe(1);
    expect(byName.t4_d12mm.studies).toBe(5);
    expect(byName['t4_d12mm_no-diagnosis-JME'].studies).toBe(3);
    expect(byName['t4_d12mm_modality-structural'].subset).toBe('modality=structural');
    expect(byName['t4_d12mm_per-coordinate'].studies).toBe(7);
    // 5 studies × 2 diameters + the 4 coordinates of the two 2-coordinate studies (a one-coordinate study's per-coordinate seed is its main seed)
    expect(sweep.result.sweep.seeds).toBe(14);
    // the main network is the sweep's first threshold and diameter
    expect(sweep.result).toMatchObject({ threshold: 4, sphereDiameterMm: 12 });
    expect(sweep.result.methods).toMatch(/Sensitivity sweep: 10 variants/);
  });

  it('MUST-SHOW: each variant equals, voxel for voxel, the same configuration run as its own job', async () => {
    const cases: [string, string, object][] = [
      ['t4_d12mm', table(STUDIES), { threshold: 4, sphereDiameterMm: 12 }],
      ['t3_d7mm', table(STUDIES), { threshold: 3, sphereDiameterMm: 7 }],
      ['t4_d12mm_no-diagnosis-JME', table(STUDIES.filter((s) => s[2] !== 'JME')), { threshold: 4, sphereDiameterMm: 12 }],
      ['t4_d12mm_modality-structural', table(STUDIES.filter((s) => s[1] === 'structural')), { threshold: 4, sphereDiameterMm: 12 }],
      ['t4_d12mm_per-coordinate', table(STUDIES.flatMap(([s, m, d, cs]) => cs.map((c, i) => [`${s}_${i + 1}`, m, d, [c]] as [string, string, string, [number, number, number][]]))), { threshold: 4, sphereDiameterMm: 12 }],
    ];
    for (const [variant, seeds, params] of cases) {
      const own = await run(variant.replace(/[^A-Za-z0-9]/g, ''), seeds, params);
      expect(own.outcome.status, JSON.stringify(own.outcome)).toBe('succeeded');
      const a = map(sweep.out, `maps/sweep/${variant}_overlap.nii.gz`);
      const b = map(own.out, 'maps/overlap.nii.gz');
      expect(a.length).toBe(b.length);
      let differ = 0;
      let nonzero = 0;
      for (let g = 0; g < a.length; g++) {
        if (a[g] !== b[g]) differ++;
        if (b[g] !== 0) nonzero++;
      }
      expect(differ, variant).toBe(0);
      expect(nonzero, `${variant} has a network`).toBeGreaterThan(20);
    }
    // and the main network of the sweep job is the plain job's, study map for study map
    const plain = await run('plain', table(STUDIES), { threshold: 4, sphereDiameterMm: 12 });
    for (const f of ['maps/overlap.nii.gz', 'maps/thalA_t.nii.gz']) expect(readFileSync(join(sweep.out, f)).equals(readFileSync(join(plain.out, f))), f).toBe(true);
    expect(plain.result.studies).toEqual(sweep.result.studies);
  }, 300_000);

  it('a job that changes only the threshold reuses the connectome pass (no chunk recomputed)', async () => {
    const dir = tmpDir('nb-netmap-sweep-reuse-');
    const first = await run('reuse', table(STUDIES), { threshold: 4 }, 'sweep-reuse', dir);
    expect(first.outcome.status).toBe('succeeded');
    const work = join(dir, 'out', '.work', 'sweep-reuse');
    const passes = () => readdirSync(work).filter((d) => d.startsWith('pass-'));
    expect(passes()).toHaveLength(1);
    const chunk = join(work, passes()[0]!, 'chunks', '00000.sums');
    const before = statSync(chunk).mtimeMs;
    const second = await run('reuse', table(STUDIES), { threshold: 3 }, 'sweep-reuse', dir);
    expect(second.outcome.status).toBe('succeeded');
    expect(passes()).toHaveLength(1);
    expect(statSync(chunk).mtimeMs).toBe(before);
    expect(second.result.specHash).not.toBe(first.result.specHash);
    expect(second.result.threshold).toBe(3);
    // another shard size partitions the subjects differently: a new pass, the same maps
    const third = await run('reuse', table(STUDIES), { threshold: 3, subjectsPerShard: 12 }, 'sweep-reuse', dir);
    expect(third.outcome.status).toBe('succeeded');
    expect(passes()).toHaveLength(2);
    expect(third.result.shards.chunks).toBe(1);
    expect(readFileSync(join(third.out, 'maps/overlap.nii.gz')).equals(readFileSync(join(second.out, 'maps/overlap.nii.gz')))).toBe(true);
  }, 120_000);

  it('the connectome demo as a sweep job (`neuroburst connectome demo --sweep`): every variant from one pass, the main one equal to the plain overlap', async () => {
    const dir = tmpDir('nb-netmap-demo-sweep-');
    const jobPath = await writeDemoNetmap(join(dir, 'in'), 1, 8, true);
    const outcome = await runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const out = join(dir, 'out', 'demo-netmap-sweep');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    const names = result.sweep.variants.map((v: any) => v.variant);
    expect(names).toEqual(['t5.1_d12mm', 't4_d12mm', 't7_d12mm', 't5.1_d9mm', 't4_d9mm', 't7_d9mm', 't5.1_d12mm_modality-functional', 't5.1_d12mm_modality-structural', 't5.1_d12mm_no-diagnosis-GTCS', 't5.1_d12mm_no-diagnosis-JME', 't5.1_d12mm_no-diagnosis-absence', 't5.1_d12mm_per-coordinate']);
    expect(Array.from(map(out, 'maps/sweep/t5.1_d12mm_overlap.nii.gz'))).toEqual(Array.from(map(out, 'maps/overlap.nii.gz')));
    expect(readFileSync(join(out, 'tables/sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(13);
    expect(result.shards.chunks).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a sweep column the seeds table lacks: named error naming the table', async () => {
    const bad = await run('bad', table(STUDIES), { sweep: { subsets: ['subtype'] } });
    expectFailedJob(bad.outcome, bad.out, 'InvalidParticipants', { message: /no column "subtype" named in params.sweep/ });
  }, 60_000);
});
