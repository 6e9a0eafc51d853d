import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { FIXTURES } from './helpers/fixture-job.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { verifiedWorkStore } from '../shared/storage/work-store.ts';
import { loadContext, loadGrid, MIN_BATCH_ITERATIONS, planBatches } from '../shared/pipelines/ale/context.ts';
import { loadObserved } from '../shared/pipelines/ale/observe.ts';
import { observeAle } from '../shared/ale/analysis.ts';

const ALE = join(FIXTURES, 'ale');
const tmp = () => tmpDir('nb-ale-');

function job(dir: string, body: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify({ jobId: 'pain-ale', pipeline: 'ale', ...body }, null, 2));
  return path;
}

const run = (jobPath: string, out: string) => runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'ale', outDir: out, threads: 2 });

function stripVolatile(r: Record<string, unknown>) {
  const { cost: _c, shards: _s, methods: _m, specHash: _h, ...rest } = r;
  return rest;
}

describe('ale pipeline on the pain dataset (embedded runner, same ASL as AWS)', () => {
  const runs: Record<number, { out: string; root: string; result: Record<string, any> }> = {};
  beforeAll(async () => {
    for (const batchSize of [7, 30]) {
      const dir = tmp();
      const out = join(dir, 'out');
      const outcome = await run(job(join(dir, 'in'), { seed: 3, inputs: { coordinates: join(ALE, 'nidm_pain_dset.json') }, params: { iterations: 30, batchSize } }), out);
      if (outcome.status !== 'succeeded') throw new Error(`batch ${batchSize}: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      runs[batchSize] = { out: join(out, 'pain-ale'), root: out, result: JSON.parse(readFileSync(join(out, 'pain-ale', 'result.json'), 'utf8')) };
    }
  }, 600_000);

  it('writes every declared output with the development numbers', () => {
    const { out, result } = runs[7]!;
    for (const f of ['maps/ale.nii.gz', 'maps/p.nii.gz', 'maps/z.nii.gz', 'maps/cfwe_0.05_z.nii.gz', 'maps/cfwe_0.01_z.nii.gz', 'maps/voxel_fwe_logp.nii.gz', 'tables/clusters.csv', 'report.html', 'result.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(result.outputs).toContain(f);
    }
    expect(result.nExperiments).toBe(21);
    expect(result.nFoci).toBe(267);
    expect(result.maxAle).toBeCloseTo(0.0341202, 7);
    expect(result.maxAleMni).toEqual([38, 4, 2]);
    expect(result.nVoxelsP001).toBe(2649);
    expect(result.shards.batches).toBe(5);
    expect(result.cfwe['0.05']).toBeGreaterThan(0);
    expect(result.cfwe['0.01']).toBeNull(); // 30 iterations cannot resolve 0.01
    const csv = readFileSync(join(out, 'tables/clusters.csv'), 'utf8').trim().split('\n');
    expect(csv[0]!.startsWith('cluster,voxels,volume_mm3,peak_ale,peak_x,peak_y,peak_z,mass,p_fwe_size,p_fwe_mass,label,contribution_pct:pain_01.nidm-1')).toBe(true);
    expect(csv.length - 1).toBe(result.clusters.length);
    const c0 = result.clusters[0];
    expect(c0.peakMni).toEqual([38, 4, 2]);
    expect(c0.pFweSize).toBeCloseTo(1 / 30, 12);
    const contrib = Object.values(c0.contributions) as number[];
    expect(contrib.length).toBe(21);
    expect(Math.max(...contrib)).toBeLessThan(100);
    expect(result.cost.actualUsd).toBeGreaterThan(0);
  });

  it('runs Threshold only for a jackknife or a contrast: this job goes from Monte-Carlo straight to Reduce', () => {
    const work = join(runs[7]!.root, '.work', 'pain-ale');
    const [specHash] = readdirSync(work);
    const ran = readdirSync(join(work, specHash!, 'metrics')).sort();
    expect(ran).toEqual(['aleMonteCarlo', 'aleObserve', 'plan', 'validate']);
    expect(existsSync(join(work, specHash!, 'thresholds.json'))).toBe(false);
    // the fan-out's first item wrote the observed maps beside the 5 batches (one metrics record each)
    const items = readdirSync(join(work, specHash!, 'metrics', 'aleMonteCarlo')).sort();
    expect(items).toEqual(['batch-0.json', 'batch-1.json', 'batch-2.json', 'batch-3.json', 'batch-4.json', 'observed-maps.json']);
  });

  it('Observe keeps the ALE map and the null: what Threshold and Reduce load equals the observed analysis recomputed, bit for bit', async () => {
    const store = verifiedWorkStore(new LocalStore(runs[7]!.root), '.work/');
    const [specHash] = readdirSync(join(runs[7]!.root, '.work', 'pain-ale'));
    const ctx = await loadContext(store, `.work/pain-ale/${specHash}/context.json`);
    const grid = await loadGrid(ctx);
    const kept = await loadObserved(store, ctx, grid, 'A');
    const fresh = observeAle(grid, ctx.experiments, ctx.job.params.coordinateToVoxel, ctx.job.params.clusterFormingP);
    const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const k of ['ale', 'p', 'z'] as const) expect(bits(kept[k]).equals(bits(fresh[k])), k).toBe(true);
    expect(bits(kept.nul.weights).equals(bits(fresh.nul.weights))).toBe(true);
    expect(bits(kept.nul.tail).equals(bits(fresh.nul.tail))).toBe(true);
    expect(kept.nul.minP).toBe(fresh.nul.minP);
    expect(kept.clusterFormingAle).toBe(fresh.clusterFormingAle);
    expect(await store.exists(`.work/pain-ale/${specHash}/observed-A.f64`)).toBe(true);
  });

  it('gives identical results for batch sizes 7 and 30', () => {
    expect(runs[30]!.result.shards.batches).toBe(1);
    expect(stripVolatile(runs[30]!.result)).toEqual(stripVolatile(runs[7]!.result));
    for (const f of ['ale', 'p', 'z', 'cfwe_0.05_z', 'voxel_fwe_logp']) {
      const a = readFileSync(join(runs[7]!.out, `maps/${f}.nii.gz`));
      const b = readFileSync(join(runs[30]!.out, `maps/${f}.nii.gz`));
      expect(b.equals(a), f).toBe(true);
    }
    expect(readFileSync(join(runs[30]!.out, 'tables/clusters.csv'), 'utf8')).toBe(readFileSync(join(runs[7]!.out, 'tables/clusters.csv'), 'utf8'));
  });
});

describe('ale Monte-Carlo batches', () => {
  it('default: about one per allowed concurrent shard, at least MIN_BATCH_ITERATIONS each, covering every iteration once in order', () => {
    const cover = (b: { k0: number; k1: number }[]) => b.every((x, i) => x.k0 === (i ? b[i - 1]!.k1 : 0) && x.k1 > x.k0);
    const small = planBatches(5000, 200);
    expect(small.length).toBe(5000 / MIN_BATCH_ITERATIONS);
    expect(cover(small) && small.at(-1)!.k1 === 5000).toBe(true);
    const big = planBatches(100_000, 200);
    expect(big.length).toBe(200);
    expect(cover(big) && big.at(-1)!.k1 === 100_000).toBe(true);
    expect(planBatches(30, 200).length).toBe(1);
    expect(planBatches(30, 200, 7).map((b) => b.k1 - b.k0)).toEqual([7, 7, 7, 7, 2]);
  });
});

describe('ale pipeline: bad input gives a named error.json and no result', () => {
  async function expectFailure(jobPath: string, error: string, message?: RegExp) {
    const out = join(tmp(), 'out');
    expectFailedJob(await run(jobPath, out), join(out, 'pain-ale'), error, { message });
  }
  it('a malformed Sleuth file names the line', async () => {
    await expectFailure(job(join(tmp(), 'in'), { inputs: { coordinates: join(ALE, 'sleuth', 'test_sleuth_file3.txt') }, params: { iterations: 10 } }), 'InvalidCoordinates', /line 5/);
  });
  it('a missing coordinates file', async () => {
    await expectFailure(job(join(tmp(), 'in'), { inputs: { coordinates: 'nope.txt' }, params: { iterations: 10 } }), 'MissingInput');
  });
  it('contrast settings without a second coordinate set', async () => {
    await expectFailure(job(join(tmp(), 'in'), { inputs: { coordinates: join(ALE, 'nidm_pain_dset.json') }, params: { iterations: 10, contrast: { iterations: 100 } } }), 'InvalidParameter', /coordinates2/);
  });
  it('contrast permutations too few to reach the contrast p (smallest p 1/iterations)', async () => {
    const pain = join(ALE, 'nidm_pain_dset.json');
    await expectFailure(job(join(tmp(), 'in'), { inputs: { coordinates: pain, coordinates2: pain }, params: { iterations: 10, contrast: { iterations: 1000 } } }), 'InvalidParameter', /p 0\.001 cannot be reached with 1000 permutations.*at least 1001/);
  });
  it('a missing second coordinate set', async () => {
    await expectFailure(job(join(tmp(), 'in'), { inputs: { coordinates: join(ALE, 'nidm_pain_dset.json'), coordinates2: 'nope2.txt' }, params: { iterations: 10 } }), 'MissingInput', /coordinates2/);
  });
  it('an unknown parameter', async () => {
    await expectFailure(job(join(tmp(), 'in'), { inputs: { coordinates: join(ALE, 'nidm_pain_dset.json') }, params: { iterations: 10, kernel: 'fixed' } }), 'InvalidJobSpec');
  });
});
