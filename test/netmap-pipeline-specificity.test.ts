/**
 * netmap specificity through the embedded runner: several named control sets and
 * random-coordinate controls mapped in the same connectome pass, one permutation test per
 * set (the spine's one permutation stage), FDR on every voxelwise p (uncorrected t and TFCE,
 * as PALM's -fdr) checked against a plain Benjamini–Hochberg twin; random controls
 * reproducible from the job seed and reusable as a seeds table.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
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

const demo = demoConnectome(3, 12, 40);
const g = demo.manifest.grid;
const [nx, ny] = g.dims;

const SEEDS = ['study,x,y,z', 'thalA,-9,-21,6', 'thalA,-15,-15,0', 'thalB,-15,-15,6', 'cereb,33,-63,-30'].join('\n') + '\n';
const OCC = ['study,x,y,z', 'occL,-27,-87,6', 'occR,27,-87,6', 'occM,-21,-87,0'].join('\n') + '\n';
const FRONT = ['study,x,y,z', 'frA,-3,39,24', 'frB,3,45,30'].join('\n') + '\n';

/** Plain Benjamini–Hochberg adjusted p: q_(i) = min over j ≥ i of p_(j)·m/j, capped at 1. */
function plainBH(p: number[]): number[] {
  const m = p.length;
  const order = p.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const q = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    running = Math.min(running, (order[r]![0] * m) / (r + 1));
    q[order[r]![1]] = running;
  }
  return q;
}

describe('netmap specificity: named control sets and random-coordinate controls in one pass', () => {
  let base = '';
  const run = async (files: Record<string, string | Uint8Array>, inputs: object, params: object, jobId = 'spec') => {
    const dir = tmpDir('nb-netmap-spec-');
    mkdirSync(join(dir, 'in'), { recursive: true });
    for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, 'in', f), body);
    const path = join(dir, 'in', 'job.json');
    writeFileSync(path, JSON.stringify({ jobId, pipeline: 'netmap', seed: 7, inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv', ...inputs }, params: { threshold: 4, sphereDiameterMm: 12, validation: { peaks: 0 }, ...params } }));
    const outcome = await runLocal({ jobUri: pathToFileURL(path).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    const out = join(dir, 'out', jobId);
    return { outcome, out, result: outcome.status === 'succeeded' ? JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) : undefined };
  };
  const map = (out: string, rel: string) => readNifti(readFileSync(join(out, rel)), rel).data;
  const specParams = { specificity: { permutation: { n: 60, statistics: ['maxT', 'tfce'] } } };
  let full: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    base = tmpDir('nb-connectome-');
    const maskNifti = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
    await writeConnectome(new LocalStore(base), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
    full = await run({ 'seeds.csv': SEEDS, 'occ.csv': OCC, 'front.csv': FRONT }, { controls: { occipital: 'occ.csv', frontal: 'front.csv' } }, { randomControls: { repetitions: 2 }, ...specParams });
    if (full.outcome.status !== 'succeeded') throw new Error(JSON.stringify(full.outcome));
  }, 240_000);

  it('tests the studies against every control set (named and random) from the same pass', () => {
    const sets = full.result.specificitySets;
    expect(Object.keys(sets)).toEqual(['occipital', 'frontal', 'random']);
    expect(sets.occipital).toMatchObject({ set: 'occipital', studies: 3, controls: 3 });
    expect(sets.frontal).toMatchObject({ set: 'frontal', controls: 2 });
    // 3 studies × 2 repetitions
    expect(sets.random).toMatchObject({ set: 'random', controls: 6 });
    expect(full.result.specificity.set).toBe('occipital');
    for (const set of ['occipital', 'frontal', 'random']) {
      for (const f of ['t', 'maxT_fwep', 'tfce_fwep', 'uncp', 'fdrp', 'tfce', 'tfce_uncp', 'tfce_fdrp']) expect(full.result.outputs, `${set} ${f}`).toContain(`maps/specificity/${set}_${f}.nii.gz`);
    }
    // the overlap counts the studies only
    expect(full.result.overlap.studies).toBe(3);
    expect(full.result.studies.filter((s: any) => s.set === 'control')).toHaveLength(11);
    // the cerebellum is in the studies' network and not in the occipital controls'
    const cereb = Math.round((69 - 33) / 6) + nx * (Math.round((-63 + 105) / 6) + ny * Math.round((-30 + 60) / 6));
    expect(map(full.out, 'maps/specificity/occipital_t.nii.gz')[cereb]).toBeGreaterThan(3);
    expect(full.result.methods).toMatch(/Random-coordinate controls: .* 2 times, from job seed 7/);
  });

  it('FDR of the uncorrected voxelwise and TFCE p equals a plain Benjamini–Hochberg twin', () => {
    const inMask: number[] = [];
    for (let v = 0; v < demo.mask.length; v++) if (demo.mask[v]) inMask.push(v);
    for (const [unc, fdr] of [['uncp', 'fdrp'], ['tfce_uncp', 'tfce_fdrp']] as const) {
      const p = map(full.out, `maps/specificity/random_${unc}.nii.gz`);
      const q = map(full.out, `maps/specificity/random_${fdr}.nii.gz`);
      const pv = inMask.map((v) => 1 - p[v]!);
      const want = plainBH(pv);
      let worst = 0;
      inMask.forEach((v, i) => (worst = Math.max(worst, Math.abs(1 - q[v]! - want[i]!))));
      expect(worst, fdr).toBeLessThan(2e-6);
      expect(Math.min(...pv)).toBeLessThan(0.5);
    }
  });

  it('random controls are reproducible from the seed, lie in their mask, and read back as a seeds table give the same test', async () => {
    const table = readFileSync(join(full.out, 'tables/random_controls.csv'), 'utf8');
    const rows = table.trim().split('\n');
    expect(rows[0]).toBe('study,x,y,z,source_study,repetition');
    expect(rows).toHaveLength(1 + 4 * 2); // 4 coordinates × 2 repetitions
    // a box mask: every random coordinate must be one of its voxel centres
    const box = new Float32Array(demo.mask.length);
    for (let v = 0; v < box.length; v++) if (demo.mask[v] && v % nx < nx / 2) box[v] = 1;
    const boxNii = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: box }, { datatype: 'uint8' });
    const again = await run({ 'seeds.csv': SEEDS, 'box.nii': boxNii }, {}, { randomControls: { repetitions: 2 } }, 'spec');
    expect(again.outcome.status, JSON.stringify(again.outcome)).toBe('succeeded');
    expect(readFileSync(join(again.out, 'tables/random_controls.csv'), 'utf8')).toBe(table);
    const boxed = await run({ 'seeds.csv': SEEDS, 'box.nii': boxNii }, {}, { randomControls: { repetitions: 2, mask: 'box.nii' } }, 'spec');
    const boxedRows = readFileSync(join(boxed.out, 'tables/random_controls.csv'), 'utf8').trim().split('\n').slice(1);
    expect(boxedRows).toHaveLength(8);
    for (const r of boxedRows) {
      const [x, y, z] = r.split(',').slice(1, 4).map(Number) as [number, number, number];
      const i = Math.round((69 - x) / 6);
      const j = Math.round((y + 105) / 6);
      const k = Math.round((z + 60) / 6);
      expect(box[i + nx * (j + ny * k)], r).toBe(1);
    }
    expect(boxedRows.join('\n')).not.toBe(rows.slice(1).join('\n'));
    // the written table as a named control set: the same seeds, so the same test, voxel for voxel
    const reused = await run({ 'seeds.csv': SEEDS, 'rand.csv': table }, { controls: { rand: 'rand.csv' } }, specParams);
    expect(reused.outcome.status, JSON.stringify(reused.outcome)).toBe('succeeded');
    for (const f of ['t', 'maxT_fwep', 'tfce_fdrp']) {
      expect(Array.from(map(reused.out, `maps/specificity/rand_${f}.nii.gz`)), f).toEqual(Array.from(map(full.out, `maps/specificity/random_${f}.nii.gz`)));
    }
    expect(existsSync(join(reused.out, 'tables/random_controls.csv'))).toBe(false);
  }, 240_000);

  it('refuses a control set too small to test, naming the set', async () => {
    const bad = await run({ 'seeds.csv': SEEDS, 'occ.csv': OCC, 'one.csv': 'study,x,y,z\nonly,-27,-87,6\n' }, { controls: { occipital: 'occ.csv', single: 'one.csv' } }, specParams);
    expectFailedJob(bad.outcome, bad.out, 'EmptyData', { message: /control set single/ });
  }, 60_000);
});
