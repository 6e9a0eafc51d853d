import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { rng } from './helpers/rng.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';
import { addSubject, correlateRun, emptySums, mergeSums, seedMaps, type Seed } from '../shared/netmap/correlate.ts';
import { packRun, writeConnectome } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { runLocal } from '../runner/local.ts';

/** Plain Pearson correlation, two-pass. */
function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function randomRun(seed: number, T: number, V: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(T * V);
  const common = Array.from({ length: T }, () => r.z());
  for (let v = 0; v < V; v++) {
    const load = v < V / 2 ? 0.8 : -0.3;
    let mean = 0;
    for (let t = 0; t < T; t++) mean += (x[t * V + v] = load * common[t]! + r.z());
    for (let t = 0; t < T; t++) x[t * V + v]! -= mean / T;
  }
  return x;
}

describe('seed-to-voxel correlation kernels', () => {
  const T = 40;
  const V = 3000;
  const run = randomRun(1, T, V);
  const seeds: Seed[] = [
    { index: Int32Array.of(3, 4, 5), weight: Float64Array.of(1, 1, 1) },
    { index: Int32Array.of(2000, 2500), weight: Float64Array.of(0.25, 0.75) },
  ];
  it('r equals Pearson correlation of the weighted-mean seed series with every voxel', () => {
    const r = new Float64Array(2 * V);
    correlateRun(run, T, V, seeds, r);
    for (const [k, seed] of seeds.entries()) {
      const s = Array.from({ length: T }, (_, t) => {
        let a = 0;
        let w = 0;
        seed.index.forEach((q, i) => ((a += seed.weight[i]! * run[t * V + q]!), (w += seed.weight[i]!)));
        return a / w;
      });
      for (const v of [0, 3, 777, 1499, 1500, 2999]) {
        const x = Array.from({ length: T }, (_, t) => run[t * V + v]!);
        expect(r[k * V + v]).toBeCloseTo(pearson(s, x), 10);
      }
    }
  });
  it('WebAssembly SIMD kernel gives r bit-identical to the scalar loop (S not a multiple of 4, odd V, constant voxel and seed)', () => {
    for (const [S, VV] of [[2, V], [5, 1001], [9, 513]] as const) {
      const data = randomRun(7 + S, T, VV).slice();
      for (let t = 0; t < T; t++) data[t * VV + 10] = 0; // constant voxel, also a constant seed below
      const ss: Seed[] = Array.from({ length: S }, (_, k) => (k === 1 ? { index: Int32Array.of(10), weight: Float64Array.of(1) } : { index: Int32Array.of((k * 37) % VV, (k * 91 + 5) % VV), weight: Float64Array.of(1, 0.5) }));
      const fast = new Float64Array(S * VV);
      const plain = new Float64Array(S * VV);
      const okFast = correlateRun(data, T, VV, ss, fast);
      const okPlain = correlateRun(data, T, VV, ss, plain, true);
      expect(okFast).toEqual(okPlain);
      expect(okFast[1]).toBe(false);
      expect(Array.from(fast)).toEqual(Array.from(plain));
      expect(Number.isFinite(fast[VV - 1])).toBe(true);
    }
  });
  it('gives NaN (no r) for a constant voxel', () => {
    const c = run.slice();
    for (let t = 0; t < T; t++) c[t * V + 10] = 0;
    const r = new Float64Array(2 * V);
    correlateRun(c, T, V, seeds, r);
    expect(Number.isNaN(r[10])).toBe(true);
  });
  it('one-sample t of Fisher z equals a direct computation, and sums are identical for any grouping of subjects', () => {
    const subjects = Array.from({ length: 9 }, (_, s) => [randomRun(100 + s, T, V), randomRun(200 + s, T, V)]);
    const all = emptySums(2, V);
    for (const runs of subjects) addSubject(runs.map((d) => ({ data: d, T })), V, seeds, all);
    for (const groups of [[3, 3, 3], [1, 8], [5, 2, 2]]) {
      const merged = emptySums(2, V);
      let s0 = 0;
      for (const g of groups) {
        const part = emptySums(2, V);
        for (const runs of subjects.slice(s0, s0 + g)) addSubject(runs.map((d) => ({ data: d, T })), V, seeds, part);
        mergeSums(merged, part);
        s0 += g;
      }
      expect(Buffer.from(merged.sumZ.buffer).equals(Buffer.from(all.sumZ.buffer))).toBe(true);
      expect(Buffer.from(merged.sumZ2.buffer).equals(Buffer.from(all.sumZ2.buffer))).toBe(true);
    }
    const maps = seedMaps(all, 1);
    for (const v of [0, 1600, 2999]) {
      const zs = subjects.map((runs) => {
        const rs = runs.map((d) => {
          const r = new Float64Array(2 * V);
          correlateRun(d, T, V, seeds, r);
          return r[V + v]!;
        });
        return Math.atanh((rs[0]! + rs[1]!) / 2);
      });
      const m = zs.reduce((a, b) => a + b, 0) / zs.length;
      const sd = Math.sqrt(zs.reduce((a, b) => a + (b - m) ** 2, 0) / (zs.length - 1));
      expect(maps.t[v]).toBeCloseTo(m / (sd / Math.sqrt(zs.length)), 4);
      expect(maps.meanZ[v]).toBeCloseTo(m, 6);
      expect(maps.n[v]).toBe(9);
    }
  });
  it('packs a 4-D run as demeaned, time-major in-mask series', () => {
    const nVox = 4;
    const data = Float32Array.of(1, 2, 3, 4, 3, 2, 1, 0, 5, 2, 5, 8); // 3 volumes
    const packed = packRun(data, nVox, 3, Uint8Array.of(1, 0, 1, 1));
    // voxel 0: 1,3,5 → −2,0,2; voxel 2: 3,1,5 → 0,−2,2; voxel 3: 4,0,8 → 0,−4,4
    expect(Array.from(packed)).toEqual([-2, 0, 0, 0, -2, -4, 2, 2, 4]);
  });
});

describe('netmap pipeline on a synthetic connectome (embedded runner, Distributed Map over connectome chunks)', () => {
  const demo = demoConnectome(3, 16, 50);
  let base = '';
  const runs: Record<number, { out: string; result: any }> = {};

  function job(dir: string, extra: { seeds?: string; controls?: string; params?: object; jobId?: string } = {}): string {
    mkdirSync(dir, { recursive: true });
    if (extra.controls) writeFileSync(join(dir, 'controls.csv'), extra.controls);
    writeFileSync(
      join(dir, 'seeds.csv'),
      extra.seeds ?? ['study,x,y,z', 'thal,-12,-18,6', 'thal,-10,-20,4', 'cereb,30,-66,-30', 'occip,-24,-90,6'].join('\n') + '\n',
    );
    const path = join(dir, 'job.json');
    writeFileSync(path, JSON.stringify({ jobId: extra.jobId ?? 'netmap-test', pipeline: 'netmap', inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv', atlas: join(base, 'atlas.nii.gz'), reference: join(base, 'reference.nii.gz'), ...(extra.controls ? { controls: 'controls.csv' } : {}) }, params: { threshold: 4, sphereDiameterMm: 12, validation: { peaks: 5, eeg: true, atlasLabels: [1], nullMasks: 200 }, ...extra.params } }));
    return path;
  }

  beforeAll(async () => {
    base = tmpDir('nb-connectome-');
    const dims = demo.manifest.grid.dims;
    const maskNifti = writeNifti({ dims, affine: Float64Array.from(demo.manifest.grid.affine), pixdim: demo.manifest.grid.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
    await writeConnectome(new LocalStore(base), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
    // an atlas of 12 labelled spheres (label 1 around the right cerebellum region, the others elsewhere)
    // and a reference map: network A's planted pattern (+ thalamus, + cerebellum, − medial frontal)
    const affine = Float64Array.from(demo.manifest.grid.affine);
    const atlas = new Float32Array(24 * 28 * 24);
    const reference = new Float32Array(24 * 28 * 24);
    const centres: [number, number, number][] = [[30, -66, -30], [-24, -90, 6], [24, -90, 6], [0, 42, 24], [-40, 0, 0], [40, 0, 0], [-40, -40, 20], [40, -40, 20], [0, -30, 50], [-20, 30, -10], [20, 30, -10], [0, -50, 10]];
    for (let g = 0; g < atlas.length; g++) {
      if (!demo.mask[g]) continue;
      const i = g % 24;
      const j = Math.floor(g / 24) % 28;
      const k = Math.floor(g / (24 * 28));
      const p = [affine[0]! * i + affine[3]!, affine[5]! * j + affine[7]!, affine[10]! * k + affine[11]!];
      centres.forEach((c, l) => {
        if ((p[0]! - c[0]) ** 2 + (p[1]! - c[1]) ** 2 + (p[2]! - c[2]) ** 2 <= 12 ** 2) atlas[g] = l + 1;
      });
      for (const r of demo.regions.filter((x) => x.network === 'A')) {
        reference[g] += r.sign * Math.exp(-((p[0]! - r.centreMni[0]) ** 2 + (p[1]! - r.centreMni[1]) ** 2 + (p[2]! - r.centreMni[2]) ** 2) / 128);
      }
    }
    const g = demo.manifest.grid;
    writeFileSync(join(base, 'atlas.nii.gz'), writeNifti({ dims: g.dims, affine, pixdim: g.pixdim, data: atlas }, { datatype: 'int16' }));
    writeFileSync(join(base, 'reference.nii.gz'), writeNifti({ dims: g.dims, affine, pixdim: g.pixdim, data: reference }, { datatype: 'float32' }));
    for (const subjectsPerShard of [3, 16]) {
      const dir = tmpDir('nb-netmap-');
      const outcome = await runLocal({ jobUri: pathToFileURL(job(join(dir, 'in'), { params: { subjectsPerShard } })).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
      if (outcome.status !== 'succeeded') throw new Error(outcome.status === 'failed' ? `${outcome.error}: ${outcome.message}` : '');
      const out = join(dir, 'out', 'netmap-test');
      runs[subjectsPerShard] = { out, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) };
    }
  }, 180_000);

  it('maps each study\'s network: the planted partner regions are positive, the anti-correlated region negative', () => {
    const { out, result } = runs[3]!;
    expect(result.connectome.subjects).toBe(16);
    expect(result.dof).toBe(15);
    expect(result.shards.chunks).toBe(6);
    const study = (s: string) => result.studies.find((x: any) => x.study === s);
    expect(study('thal').coordinates).toBe(2);
    const t = readNifti(readFileSync(join(out, 'maps/thal_t.nii.gz')), 't');
    const at = (x: number, y: number, z: number) => {
      const a = t.header.affine;
      // x = -6 i + 69, y = 6 j - 105, z = 6 k - 60 on the synthetic grid
      const i = Math.round((69 - x) / 6);
      const j = Math.round((y + 105) / 6);
      const k = Math.round((z + 60) / 6);
      expect(a[3]).toBe(69);
      return t.data[i + 24 * (j + 28 * k)]!;
    };
    expect(at(30, -66, -30)).toBeGreaterThan(4); // cerebellum_R: same network
    expect(at(0, 42, 24)).toBeLessThan(-4); // medial frontal: anti-correlated
    expect(Math.abs(at(24, -90, 6))).toBeLessThan(4); // occipital: other network
    const occ = readNifti(readFileSync(join(out, 'maps/occip_t.nii.gz')), 't');
    expect(occ.data.reduce((m, x) => Math.max(m, x), 0)).toBeGreaterThan(4);
    // overlap: thalamus and cerebellum seeds share their positive network; occipital does not
    const ov = readNifti(readFileSync(join(out, 'maps/overlap_positive.nii.gz')), 'ov').data;
    const cereb = Math.round((69 - 30) / 6) + 24 * (Math.round((-66 + 105) / 6) + 28 * Math.round((-30 + 60) / 6));
    expect(ov[cereb]).toBeCloseTo(2 / 3, 6);
    for (const f of ['maps/overlap.nii.gz', 'maps/overlap_negative.nii.gz', 'maps/cereb_meanz.nii.gz', 'tables/studies.csv', 'report.html']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(result.outputs).toContain(f);
    }
    expect(result.outputs.at(-1)).toBe('result.json');
  });

  it('validates the overlap network: peaks, EEG 10–20 spheres, atlas-region test against random label sets, spatial correlation with a reference', () => {
    const { out, result } = runs[3]!;
    const v = result.validation;
    expect(v.peaks.length).toBeGreaterThan(0);
    expect(v.peaks.length).toBeLessThanOrEqual(5);
    expect(v.peaks[0].value).toBeCloseTo(2 / 3, 6); // thalamus and cerebellum seeds share their network
    expect(v.eeg).toHaveLength(19);
    expect(readFileSync(join(out, 'tables/overlap_eeg_1020.csv'), 'utf8').trim().split('\n')).toHaveLength(20);
    // the cerebellum label holds the shared network: top of 12 labels → p = (1 + #null ≥ obs)/(1 + 200) small
    expect(v.atlas.labels).toEqual([1]);
    expect(v.atlas.meanX100).toBeGreaterThan(30);
    expect(v.atlas.p).toBeLessThan(0.15);
    expect(v.reference.overlap).toBeGreaterThan(0.3);
    expect(v.reference.studies.thal).toBeGreaterThan(0.5);
    expect(v.reference.studies.occip).toBeLessThan(0.2);
    expect(readFileSync(join(out, 'tables/overlap_peaks.csv'), 'utf8')).toMatch(/^rank,overlap,x,y,z,label\n1,0\.666667,/);
  });

  it('gives bit-identical maps for 3 and 16 connectome subjects per shard', () => {
    expect(runs[16]!.result.shards.chunks).toBe(1);
    expect(runs[16]!.result.studies).toEqual(runs[3]!.result.studies);
    for (const f of ['thal_t', 'cereb_meanz', 'overlap']) {
      const a = readFileSync(join(runs[3]!.out, `maps/${f}.nii.gz`));
      const b = readFileSync(join(runs[16]!.out, `maps/${f}.nii.gz`));
      expect(a.equals(b), f).toBe(true);
    }
  });

  it('tests the studies\' networks against control studies\' voxelwise (permutation, exhaustive for 3 + 3)', async () => {
    const dir = tmpDir('nb-netmap-spec-');
    const seeds = ['study,x,y,z', 'thalA,-12,-18,6', 'thalB,-10,-20,4', 'cerebA,30,-66,-30'].join('\n') + '\n';
    const controls = ['study,x,y,z', 'occL,-24,-90,6', 'occR,24,-90,6', 'occM,-18,-90,6'].join('\n') + '\n';
    const outcome = await runLocal({
      jobUri: pathToFileURL(job(join(dir, 'in'), { seeds, controls, params: { specificity: { permutation: { statistics: ['maxT', 'tfce'] } } } })).href,
      pipeline: 'netmap',
      outDir: join(dir, 'out'),
      threads: 2,
    });
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const out = join(dir, 'out', 'netmap-test');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.specificity).toMatchObject({ map: 't', studies: 3, controls: 3, permutations: 20, exhaustive: true });
    expect(result.overlap.studies).toBe(3);
    expect(result.studies.filter((x: any) => x.set === 'control').map((x: any) => x.study)).toEqual(['occL', 'occM', 'occR']);
    // the cerebellum belongs to the studies' network, not the controls': large positive two-sample t and the
    // smallest two-tailed p attainable: 2/20 (the identity and its mirror image, studies ↔ controls, tie in |t|)
    const t = readNifti(readFileSync(join(out, 'maps/specificity_t.nii.gz')), 't').data;
    const cereb = Math.round((69 - 30) / 6) + 24 * (Math.round((-66 + 105) / 6) + 28 * Math.round((-30 + 60) / 6));
    expect(t[cereb]).toBeGreaterThan(5);
    const unc = readNifti(readFileSync(join(out, 'maps/specificity_uncp.nii.gz')), 'p').data;
    expect(1 - unc[cereb]!).toBeCloseTo(2 / 20, 6);
    for (const f of ['maps/specificity_maxT_fwep.nii.gz', 'maps/specificity_tfce_fwep.nii.gz', 'maps/specificity_fdrp.nii.gz']) expect(result.outputs).toContain(f);
    expect(result.methods).toMatch(/Specificity: the 3 studies' t maps were compared with the 3 control studies'/);
  }, 120_000);

  it('builds an outcome-weighted DBS network (and the convergent map) from patient seeds', async () => {
    const dir = tmpDir('nb-netmap-dbs-');
    const seeds = ['study,x,y,z,outcome', 'p1,-12,-18,6,80', 'p2,-10,-20,4,60', 'p3,-24,-90,6,10', 'p4,24,-90,6,0'].join('\n') + '\n';
    const outcome = await runLocal({ jobUri: pathToFileURL(job(join(dir, 'in'), { seeds, params: { dbs: {} } })).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const out = join(dir, 'out', 'netmap-test');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.dbs).toMatchObject({ patients: 4, map: 't', normalise: 'sum', outcomes: { min: 0, max: 80, mean: 37.5 } });
    const read = (f: string) => readNifti(readFileSync(join(out, `maps/${f}.nii.gz`)), f).data;
    const net = read('dbs_network');
    const ts = ['p1', 'p2', 'p3', 'p4'].map((p) => read(`${p}_t`));
    const w = [80, 60, 10, 0];
    for (const g of [1000, 5000, 8000, 9000]) {
      const direct = ts.reduce((a, t, i) => a + w[i]! * t[g]!, 0) / 150;
      expect(net[g]).toBeCloseTo(direct, 4);
    }
    const cereb = Math.round((69 - 30) / 6) + 24 * (Math.round((-66 + 105) / 6) + 28 * Math.round((-30 + 60) / 6));
    const occ = Math.round((69 + 24) / 6) + 24 * (Math.round((-90 + 105) / 6) + 28 * Math.round((6 + 60) / 6));
    expect(net[cereb]).toBeGreaterThan(net[occ]!);
    expect(result.outputs).toContain('maps/convergent.nii.gz');
  }, 120_000);

  it('refuses params.dbs without outcomes', async () => {
    const dir = tmpDir('nb-netmap-dbs-');
    const outcome = await runLocal({ jobUri: pathToFileURL(job(join(dir, 'in'), { params: { dbs: {} } })).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 1 });
    expectFailedJob(outcome, join(dir, 'out', 'netmap-test'), 'InvalidParticipants', { message: /params\.dbs needs an outcome for every study/ });
  }, 60_000);

  it.each([
    ['study,x,y,z\nfar,150,150,150\n', 'EmptyData', /hold no voxel of the connectome mask/],
    ['study,x,y,z\nbad,12,abc,3\n', 'InvalidParticipants', /not numbers/],
    ['study,x,y,z\n../up,1,2,3\n', 'InvalidParticipants', /names output files/],
    ['name,x,y,z\nA,1,2,3\n', 'InvalidParticipants', /no column "study"/],
  ])('refuses bad seeds %#: named error, no result', async (seeds, error, message) => {
    const dir = tmpDir('nb-netmap-bad-');
    const outcome = await runLocal({ jobUri: pathToFileURL(job(join(dir, 'in'), { seeds })).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 1 });
    expectFailedJob(outcome, join(dir, 'out', 'netmap-test'), error, { message });
  }, 60_000);
});
