/**
 * netmap inputs.connectomes: further connectomes mapped in the same job (one pass each); a
 * further connectome's overlap equals the same job run with it as the primary connectome,
 * voxel for voxel, and the spatial-correlation table equals a plain Pearson r.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
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

const A = demoConnectome(3, 10, 40);
const B = demoConnectome(8, 7, 40);
const SEEDS = ['study,x,y,z', 'thalA,-9,-21,6', 'thalB,-15,-15,6', 'cereb,33,-63,-30', 'occip,-27,-87,6'].join('\n') + '\n';

describe('netmap: several connectomes in one job, one pass each', () => {
  const dirs: Record<string, string> = {};
  const run = async (jobId: string, inputs: object) => {
    const dir = tmpDir('nb-netmap-conn-');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'seeds.csv'), SEEDS);
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify({ jobId, pipeline: 'netmap', inputs: { seeds: 'seeds.csv', ...inputs }, params: { threshold: 4, sphereDiameterMm: 12, subjectsPerShard: 4, validation: { peaks: 0 } } }));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    const out = join(dir, 'out', jobId);
    return { outcome, out, result: outcome.status === 'succeeded' ? JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) : undefined };
  };
  const map = (out: string, rel: string) => readNifti(readFileSync(join(out, rel)), rel).data;

  beforeAll(async () => {
    for (const [name, demo] of [['a', A], ['b', B]] as const) {
      dirs[name] = tmpDir('nb-connectome-');
      const g = demo.manifest.grid;
      const mask = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
      await writeConnectome(new LocalStore(dirs[name]!), '', demo.manifest, mask, (s) => demo.runs[s]!);
    }
  }, 60_000);

  it('maps the further connectome in the same job; its overlap equals the job run on it alone; r table equals a plain Pearson r', async () => {
    expect(Array.from(A.mask)).toEqual(Array.from(B.mask));
    const both = await run('conn', { connectome: join(dirs.a!, 'connectome.json'), connectomes: { second: join(dirs.b!, 'connectome.json') } });
    expect(both.outcome.status, JSON.stringify(both.outcome)).toBe('succeeded');
    const alone = await run('connb', { connectome: join(dirs.b!, 'connectome.json') });
    expect(alone.outcome.status).toBe('succeeded');
    const x = map(both.out, 'maps/connectomes/second_overlap.nii.gz');
    const y = map(alone.out, 'maps/overlap.nii.gz');
    expect(Array.from(x)).toEqual(Array.from(y));
    expect(y.some((v) => v !== 0)).toBe(true);
    const primary = map(both.out, 'maps/overlap.nii.gz');
    const xs: number[] = [];
    const ys: number[] = [];
    A.mask.forEach((m, g) => (m ? (xs.push(primary[g]!), ys.push(x[g]!)) : undefined));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const [mx, my] = [mean(xs), mean(ys)];
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    xs.forEach((v, i) => ((sxy += (v - mx) * (ys[i]! - my)), (sxx += (v - mx) ** 2), (syy += (ys[i]! - my) ** 2)));
    const c = both.result.connectomes;
    expect(c.subjects).toEqual([10, 7]);
    expect(c.pairs).toHaveLength(1);
    expect(c.pairs[0].rOverlap).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 5);
    expect(readFileSync(join(both.out, 'tables/connectomes.csv'), 'utf8').split('\n')[0]).toBe('connectome_a,connectome_b,r_overlap,median_study_r');
    // the primary's results are those of the job without the further connectome
    const solo = await run('conna', { connectome: join(dirs.a!, 'connectome.json') });
    expect(Array.from(map(solo.out, 'maps/overlap.nii.gz'))).toEqual(Array.from(primary));
    expect(both.result.shards.chunks).toBe(3);
  }, 240_000);

  it('refuses a further connectome whose file is missing, naming it', async () => {
    const bad = await run('connbad', { connectome: join(dirs.a!, 'connectome.json'), connectomes: { gone: join(dirs.b!, 'nope.json') } });
    expectFailedJob(bad.outcome, bad.out, 'MissingInput', { message: /inputs\.connectomes\.gone/ });
  }, 60_000);
});
