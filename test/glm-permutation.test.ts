import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti } from '../shared/nifti/index.ts';
import { vbmJob } from './helpers/fixture-job.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';

const tmp = () => tmpDir('nb-perm-');
const STATS = ['maxT', 'clusterExtent', 'clusterMass', 'tfce'];

async function runJob(params: Record<string, unknown>, edit?: (rows: string[][]) => void) {
  const dir = tmp();
  const out = join(dir, 'out');
  const job = vbmJob(join(dir, 'in'), { params, edit });
  const outcome = await runLocal({ jobUri: pathToFileURL(job).href, pipeline: 'glm', outDir: out, threads: 2 });
  return { outcome, dir: join(out, 'vbm-fixture') };
}

describe('glm pipeline with inference.permutation on the VBM fixture', () => {
  const runs: { dir: string; result: Record<string, any> }[] = [];

  beforeAll(async () => {
    for (const batchSize of [13, 200]) {
      const { outcome, dir } = await runJob({ inference: { permutation: { n: 200, batchSize } } });
      if (outcome.status !== 'succeeded') throw new Error(`${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      runs.push({ dir, result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) });
    }
  }, 240_000);

  it('writes FWE, FDR and TFCE maps and a permutation cluster table', () => {
    const { dir, result } = runs[0]!;
    for (const s of STATS) expect(existsSync(join(dir, `maps/G1-G2_${s}_fwep.nii.gz`)), s).toBe(true);
    for (const f of ['maps/G1-G2_uncp.nii.gz', 'maps/G1-G2_fdrp.nii.gz', 'maps/G1-G2_tfce.nii.gz', 'tables/G1-G2_permutation_clusters.csv']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
      expect(result.outputs).toContain(f);
    }
    const perm = result.contrasts['G1-G2'].permutation;
    expect(perm.permutations).toBe(200);
    expect(perm.exhaustive).toBe(false);
    // 24 subjects with a continuous covariate: every arrangement of the design rows is distinct
    expect(perm.uniqueRelabellings).toBe('620448401733239439360000');
    // cluster-forming threshold defaults to the GRF voxel p (two-tailed 0.005 → z 2.8070)
    expect(perm.clusterFormingZ).toBeCloseTo(2.807034, 5);
    for (const s of STATS) {
      expect(perm.nullQuantiles[s].q99).toBeGreaterThanOrEqual(perm.nullQuantiles[s].q95);
      expect(perm.minFweP[s]).toBeGreaterThanOrEqual(1 / 200);
    }
    // The fixture's planted blobs are found by every statistic.
    for (const s of STATS) expect(perm.minFweP[s], s).toBeLessThanOrEqual(0.05);
    expect(perm.clusters.length).toBeGreaterThan(0);
    const grf = result.contrasts['G1-G2'].clusters;
    expect(grf.length).toBeGreaterThan(0);
    for (const c of grf) {
      expect(c).toHaveProperty('pFweExtent');
      expect(c).toHaveProperty('pFweMass');
    }
    // the report (report library) draws each statistic's null with all 200 permutation maxima
    const report = readFileSync(join(dir, 'report.html'), 'utf8');
    const nullSvg = report.match(/<svg [^>]*id="G1-G2_null_maxT"[\s\S]*?<\/svg>/)![0];
    expect([...nullSvg.matchAll(/<rect class="bar" data-count="(\d+)"/g)].reduce((a, m) => a + Number(m[1]), 0)).toBe(200);
    const csv = readFileSync(join(dir, 'tables/G1-G2_permutation_clusters.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('cluster,voxels,volume_mm3,mass,peak_t,peak_z,peak_x,peak_y,peak_z_mm,label,p_fwe_extent,p_fwe_mass');
    expect(csv.length - 1).toBe(perm.clusters.length);
    // 1 − p maps: in [0, 1), zero outside the mask
    const fwe = readNifti(readFileSync(join(dir, 'maps/G1-G2_maxT_fwep.nii.gz')), 'fwep').data;
    let mx = 0;
    for (const x of fwe) mx = Math.max(mx, x);
    expect(mx).toBeCloseTo(1 - perm.minFweP.maxT, 6);
  });

  it('runs the batches as a Distributed Map: item list read from storage, child outputs exported by the ResultWriter', () => {
    const work = join(runs[0]!.dir, '..', '.work', 'vbm-fixture');
    const files = readdirSync(work, { recursive: true }).map(String);
    expect(files.some((f) => f.endsWith('items/permutations.json'))).toBe(true);
    const manifest = files.find((f) => /map-runs\/permutations\/.*manifest\.json$/.test(f));
    expect(manifest).toBeDefined();
    const m = JSON.parse(readFileSync(join(work, manifest!), 'utf8'));
    expect(JSON.stringify(m)).toMatch(/SUCCEEDED/);
    const items = JSON.parse(readFileSync(join(work, files.find((f) => f.endsWith('items/permutations.json'))!), 'utf8'));
    expect(items).toHaveLength(16);
    expect(items[15]).toEqual({ index: 15, k0: 195, k1: 200 });
  });

  it('gives bit-identical maps and numbers for batches of 13 and of 200 permutations', () => {
    const [a, b] = runs as [typeof runs[0], typeof runs[0]];
    expect(a.result.shards.permutationBatches).toBe(16);
    expect(b.result.shards.permutationBatches).toBe(1);
    expect(a.result.contrasts).toEqual(b.result.contrasts);
    for (const f of [...STATS.map((s) => `${s}_fwep`), 'uncp', 'fdrp', 'tfce']) {
      const x = readNifti(readFileSync(join(a.dir, `maps/G1-G2_${f}.nii.gz`)), f).data;
      const y = readNifti(readFileSync(join(b.dir, `maps/G1-G2_${f}.nii.gz`)), f).data;
      expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer)), f).toBe(true);
    }
  });

  it('enumerates every relabelling when there are fewer than requested, and says so', async () => {
    // 4 + 4 subjects without covariates: C(8, 4) = 70 distinct relabellings
    const { outcome, dir } = await runJob({ covariates: [], inference: { permutation: { n: 5000, statistics: ['maxT'] } } }, (rows) => {
      const g1 = rows.filter((r) => r[1] === 'G1').slice(0, 4);
      const g2 = rows.filter((r) => r[1] === 'G2').slice(0, 4);
      rows.splice(0, rows.length, ...g1, ...g2);
    });
    expect(outcome.status).toBe('succeeded');
    const perm = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).contrasts['G1-G2'].permutation;
    expect(perm.exhaustive).toBe(true);
    expect(perm.permutations).toBe(70);
    expect(perm.uniqueRelabellings).toBe('70');
    expect(perm.minFweP.maxT).toBeGreaterThanOrEqual(1 / 70);
    const methods = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).methods;
    expect(methods).toMatch(/only 70 distinct relabellings exist \(fewer than the 5000 requested\), so all were enumerated/);
  }, 120_000);

  it.each([
    [{ n: 5_000_000 }, 'InvalidJobSpec', /1000000/],
    [{ statistics: ['maxF'] }, 'InvalidJobSpec', /statistics/],
    [{ clusterFormingP: 1.5 }, 'InvalidJobSpec', /clusterFormingP/],
    [{ exchangeabilityBlocks: 'site' }, 'InvalidParticipants', /site/],
  ])('refuses %j with a named error and no result', async (permutation, error, message) => {
    const { outcome, dir } = await runJob({ inference: { permutation } });
    expectFailedJob(outcome, dir, error, { message });
  }, 60_000);
});
