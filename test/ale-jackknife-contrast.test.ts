import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../shared/runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { computeMaMaps, makeGrid } from '../shared/ale/ale.ts';
import type { AleGrid } from '../shared/ale/ale.ts';
import { aleKernel } from '../shared/ale/kernel.ts';
import { parseSleuth } from '../shared/ale/coordinates.ts';
import { observeAle } from '../shared/ale/analysis.ts';
import { aleClusters } from '../shared/ale/clusters.ts';
import { LabelExchange, contrastP, maOnDomain } from '../shared/ale/contrast.ts';
import { labelComponents } from '../shared/volume/components.ts';

import { tmpDir } from './helpers/tmp.ts';

const tmp = () => tmpDir('nb-alejk-');

/** a small synthetic grid: 12×11×10 voxels of 2 mm, mask = all but a corner block */
function smallGrid(): AleGrid {
  const mask = new Uint8Array(12 * 11 * 10).fill(1);
  for (let z = 0; z < 3; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) mask[x + y * 12 + z * 132] = 0;
  return makeGrid([12, 11, 10], [-2, 0, 0, 20, 0, 2, 0, -10, 0, 0, 2, -8, 0, 0, 0, 1], mask);
}

/** plain dense ALE of the experiments in `members` (full grid, in-mask voxels only) */
function plainAle(grid: AleGrid, exps: { n: number; ijk: number[][] }[], members: number[]): Float64Array {
  const [nx, ny, nz] = grid.dims;
  const out = new Float64Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const v = x + y * nx + z * nx * ny;
    if (!grid.mask[v]) continue;
    let q = 1;
    for (const e of members) {
      const k = aleKernel(exps[e]!.n, 2);
      let m = 0;
      for (const [i, j, l] of exps[e]!.ijk) {
        const [a, b, c] = [x - i!, y - j!, z - l!];
        if (Math.abs(a) > k.radius || Math.abs(b) > k.radius || Math.abs(c) > k.radius) continue;
        m = Math.max(m, k.w[a + k.radius]! * k.w[b + k.radius]! * k.w[c + k.radius]!);
      }
      q *= 1 - m;
    }
    out[v] = 1 - q;
  }
  return out;
}

describe('ALE contrast label exchange (2 + 2 experiments)', () => {
  const grid = smallGrid();
  const exps = [
    { n: 10, ijk: [[4, 4, 4], [8, 6, 5]] },
    { n: 20, ijk: [[5, 4, 4]] },
    { n: 15, ijk: [[8, 7, 6], [2, 9, 8]] },
    { n: 12, ijk: [[7, 6, 6]] },
  ];
  const ma = computeMaMaps(grid, exps.map((e) => Int32Array.from(e.ijk.flat())), exps.map((e) => aleKernel(e.n, 2)));
  const domain = grid.maskIndex;
  const lx = new LabelExchange(maOnDomain(ma, domain, grid.mask.length), 2, domain.length);
  // the 6 ways of choosing group A from 4 pooled experiments
  const subsets = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];
  const dOf = (a: number[]) => {
    const A = plainAle(grid, exps, a);
    const B = plainAle(grid, exps, [0, 1, 2, 3].filter((e) => !a.includes(e)));
    return Float64Array.from(domain, (v) => A[v]! - B[v]!);
  };
  const plain = subsets.map(dOf);

  it('computes D = ALE(A) − ALE(B) of any assignment as a plain dense implementation', () => {
    subsets.forEach((s, i) => {
      const inA = new Uint8Array(4);
      for (const e of s) inA[e] = 1;
      const d = lx.diff(inA, new Float64Array(domain.length));
      for (let v = 0; v < domain.length; v++) expect(Math.abs(d[v]! - plain[i]![v]!)).toBeLessThan(1e-15);
    });
    expect(Array.from(lx.observed)).toEqual(Array.from(lx.diff(Uint8Array.from([1, 1, 0, 0]), new Float64Array(domain.length))));
  });

  it('draws every assignment equally often and its p converges to the exact enumeration p', () => {
    const N = 6000;
    const counts = new Map<string, number>();
    const inA = new Uint8Array(4);
    for (let k = 0; k < N; k++) {
      const key = Array.from(lx.assignment(9, k, inA)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const sd = Math.sqrt((N * (1 / 6) * (5 / 6)));
    for (const c of counts.values()) expect(Math.abs(c - N / 6)).toBeLessThan(4 * sd);

    const ge = new Int32Array(domain.length);
    const le = new Int32Array(domain.length);
    lx.run(9, 0, N, ge, le);
    const obs = plain[0]!;
    let checked = 0;
    for (let v = 0; v < domain.length; v++) {
      // skip voxels where a different assignment ties the observed value up to rounding
      const near = plain.some((d, i) => i > 0 && d[v]! !== obs[v]! && Math.abs(d[v]! - obs[v]!) < 1e-12);
      if (near) continue;
      const exactGe = plain.filter((d) => d[v]! >= obs[v]!).length / 6;
      const exactLe = plain.filter((d) => d[v]! <= obs[v]!).length / 6;
      const tol = (p: number) => 4 * Math.sqrt((p * (1 - p)) / N) + 1e-12;
      expect(Math.abs(ge[v]! / N - exactGe)).toBeLessThanOrEqual(tol(exactGe));
      expect(Math.abs(le[v]! / N - exactLe)).toBeLessThanOrEqual(tol(exactLe));
      if (obs[v]! !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(100);
    // a voxel where A > B: every assignment is counted exactly as the enumeration says, within Monte-Carlo error
    const best = obs.reduce((b, x, i) => (x > obs[b]! ? i : b), 0);
    expect(plain.filter((d) => d[best]! >= obs[best]!).length).toBe(1);
    expect(contrastP(ge[best]!, le[best]!, N).pAB).toBeCloseTo(1 / 6, 1);
  });

  it('counts do not depend on how permutations are split into batches', () => {
    const all = [new Int32Array(domain.length), new Int32Array(domain.length)];
    const mx = lx.run(3, 0, 50, all[0]!, all[1]!);
    const split = [new Int32Array(domain.length), new Int32Array(domain.length)];
    const m1 = lx.run(3, 0, 17, split[0]!, split[1]!);
    const m2 = new LabelExchange(maOnDomain(ma, domain, grid.mask.length), 2, domain.length).run(3, 17, 50, split[0]!, split[1]!);
    expect(Array.from(split[0]!)).toEqual(Array.from(all[0]!));
    expect(Array.from(split[1]!)).toEqual(Array.from(all[1]!));
    expect([...m1, ...m2]).toEqual(Array.from(mx));
  });

  it('p: one-sided counts over n, clamped to [1/n, 1 − 1/n]; two-sided = 2 min', () => {
    expect(contrastP(0, 100, 100)).toEqual({ pAB: 0.01, pBA: 0.99, pTwo: 0.01 });
    expect(contrastP(30, 71, 100).pTwo).toBeCloseTo(0.6, 15);
  });
});

/**
 * Jackknife on a small input: a 30×36×30 box mask of 2 mm voxels and 6 experiments
 * with a shared cluster and a second one carried by experiments 1 and 2 only.
 */
describe('ale jackknife against plain re-runs without each experiment', () => {
  const dims: [number, number, number] = [30, 36, 30];
  const affine = [-2, 0, 0, 30, 0, 2, 0, -36, 0, 0, 2, -30, 0, 0, 0, 1];
  const exps = [
    { n: 14, foci: [[10, -10, 10], [12, -8, 8], [-20, 14, -10]] },
    { n: 22, foci: [[8, -10, 12], [-18, 16, -10], [-20, 14, -12]] },
    { n: 18, foci: [[10, -12, 10], [-22, 16, -8]] },
    { n: 11, foci: [[12, -10, 10], [0, 0, 20]] },
    { n: 25, foci: [[10, -10, 8], [6, -4, 14]] },
    { n: 16, foci: [[8, -12, 10], [-6, 8, 0]] },
  ];
  const sleuth = (keep: number[]) => ['// Reference=MNI', ...keep.flatMap((e) => [`// study${e}: task`, `// Subjects=${exps[e]!.n}`, ...exps[e]!.foci.map((f) => f.join('\t')), ''])].join('\n');
  const root = tmp();
  const maskPath = join(root, 'mask.nii.gz');
  const maskData = new Float32Array(dims[0] * dims[1] * dims[2]).fill(1);
  writeFileSync(maskPath, writeNifti({ dims, affine: Float64Array.from(affine), pixdim: [2, 2, 2], data: maskData }, { datatype: 'uint8' }));
  const runJob = async (name: string, keep: number[], params: Record<string, unknown>) => {
    const dir = join(root, name);
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'coords.txt'), sleuth(keep));
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify({ jobId: name, pipeline: 'ale', seed: 2, inputs: { coordinates: 'coords.txt', mask: maskPath }, params }));
    const r = await runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'ale', outDir: join(dir, 'out'), threads: 2 });
    if (r.status !== 'succeeded') throw new Error(`${name}: ${r.error}: ${r.message}`);
    return join(dir, 'out', name);
  };
  let full: { out: string; result: any; table: string[][] };
  const reruns: Record<number, Float32Array> = {};
  const checked = [0, 1, 3];
  beforeAll(async () => {
    const out = await runJob('jk-full', [0, 1, 2, 3, 4, 5], { iterations: 40, jackknife: true, batchSize: 15 });
    full = { out, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')), table: readFileSync(join(out, 'tables/jackknife.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')) };
    for (const e of checked) {
      const o = await runJob(`jk-without-${e}`, [0, 1, 2, 3, 4, 5].filter((x) => x !== e), { iterations: 10 });
      reruns[e] = readNifti(readFileSync(join(o, 'maps/ale.nii.gz')), 'rerun').data;
    }
  }, 300_000);

  it('reports, per cluster and left-out experiment, what a plain re-run without it finds at the full thresholds', () => {
    const r = full.result;
    const grid = makeGrid(dims, affine, maskData);
    const set = parseSleuth(sleuth([0, 1, 2, 3, 4, 5]), 'x');
    const obs = observeAle(grid, set.experiments, 'truncate', 0.001);
    expect(obs.clusterFormingAle).toBe(r.clusterFormingAle);
    const { clusters, labels } = aleClusters(grid, obs.ale, obs.clusterFormingAle);
    expect(clusters.length).toBe(r.clusters.length);
    expect(clusters.length).toBeGreaterThanOrEqual(2);
    const k: number = r.cfwe['0.05'];
    expect(k).toBeGreaterThan(0);
    expect(full.table.length).toBe(clusters.length * 6);
    for (const e of checked) {
      const ale = reruns[e]!;
      const bin = Uint8Array.from(ale, (a) => (a > r.clusterFormingAle ? 1 : 0));
      const comp = labelComponents(bin, dims, 6);
      clusters.forEach((c, ci) => {
        let mx = 0;
        let biggest = 0;
        for (let v = 0; v < ale.length; v++) {
          if (labels[v] !== c.label) continue;
          mx = Math.max(mx, ale[v]!);
          if (comp.labels[v]) biggest = Math.max(biggest, comp.sizes[comp.labels[v]! - 1]!);
        }
        const row = full.table.find((t) => t[0] === String(ci + 1) && t[1] === `study${e}: task`)!;
        expect(row, `cluster ${ci + 1} without ${e}`).toBeDefined();
        expect(Number(row[3])).toBeCloseTo(mx, 8);
        expect(Number(row[4])).toBe(biggest);
        expect(row[2]).toBe(biggest >= k ? 'yes' : 'no');
        const j = r.clusters[ci].jackknife;
        expect(j.failsWithout.includes(`study${e}: task`)).toBe(biggest < k);
      });
    }
  });

  it('summarises each cluster in result.json', () => {
    const c = full.result.clusters;
    for (const x of c) {
      expect(x.jackknife.alpha).toBe(0.05);
      expect(x.jackknife.survivesAll).toBe(x.jackknife.failsWithout.length === 0);
      expect(x.jackknife.nExperimentsDriving).toBe(x.jackknife.failsWithout.length);
    }
    expect(full.result.outputs).toContain('tables/jackknife.csv');
    // the shared cluster survives every leave-out; the second is carried by experiments 0, 1 and 2
    expect(c[0].jackknife.survivesAll).toBe(true);
    expect(c[1].peakMni).toEqual([-20, 14, -10]);
    expect(c[1].jackknife.failsWithout).toEqual(['study0: task', 'study1: task', 'study2: task']);
  });
});
