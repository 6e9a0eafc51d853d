/**
 * Issue 15 through a reho job: ReHo on a synthetic cohort with the study's group sizes
 * (DRE 22 / DSE 25 / HC 27; TLE 25 / IGE 22 patients), its group step (the glm workflow
 * started by GroupRun) giving Table 1, an F main effect, cluster × region tables with the
 * bundled AAL resampled onto the data grid, cluster values, the TLE and IGE subgroup analyses
 * and the IGE deviation maps. Every number is recomputed here from the job's own szReHo maps
 * with plain code: ANOVA / χ² / Mann–Whitney by hand (p from jstat), pooled two-sample t,
 * z against the controls' mean and SD, a flood-fill of the surviving clusters and a
 * nearest-neighbour lookup of the 2 mm AAL at each voxel centre.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { stream } from '../shared/random.ts';
import { loadBundledAtlas } from '../shared/volume/atlas-bundle.ts';
import { runCorrelate } from '../bin/correlate.ts';
import { tmpDir } from './helpers/tmp.ts';

const jStat = createRequire(import.meta.url)('jstat') as {
  studentt: { cdf(t: number, df: number): number };
  centralF: { cdf(x: number, d1: number, d2: number): number };
  chisquare: { cdf(x: number, k: number): number };
  normal: { cdf(x: number, m: number, s: number): number };
};

// a 3 mm grid over the left cerebellum and occipital lobe (MNI; centre near (−30, −78, −39))
const DIMS: [number, number, number] = [10, 10, 8];
const V = DIMS[0] * DIMS[1] * DIMS[2];
const AFFINE = Float64Array.from([3, 0, 0, -43.5, 0, 3, 0, -91.5, 0, 0, 3, -49.5, 0, 0, 0, 1]);
const NT = 24;
const GROUPS = ['DRE', 'DSE', 'HC'] as const;
type Group = (typeof GROUPS)[number];

interface Subject {
  id: string;
  group: Group;
  syndrome: '' | 'TLE' | 'IGE';
  age: number;
  sex: 'M' | 'F';
  duration: number | null;
  onset: number | null;
}

const ball = (c: [number, number, number], r: number) => (i: number, j: number, k: number) => (i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r;
const blobA = ball([3, 3, 3], 2.2);
const blobB = ball([7, 6, 4], 2.2);

/** BOLD: a subject's shared slow signal, weighted more in blob A for DRE and in blob B for IGE patients, plus noise. */
function bold(s: Subject, k: number): Float32Array {
  const rng = stream(1515, k);
  const shared = Array.from({ length: NT }, (_, t) => Math.sin(0.4 * t + k) + 0.4 * rng.normal());
  const out = new Float32Array(V * NT);
  for (let z = 0; z < DIMS[2]; z++)
    for (let y = 0; y < DIMS[1]; y++)
      for (let x = 0; x < DIMS[0]; x++) {
        const v = x + DIMS[0] * (y + DIMS[1] * z);
        const w = 0.4 + (s.group === 'DRE' && blobA(x, y, z) ? 1.2 : 0) + (s.syndrome === 'IGE' && blobB(x, y, z) ? 1.0 : 0);
        for (let t = 0; t < NT; t++) out[v + t * V] = 100 + w * shared[t]! + rng.normal();
      }
  return out;
}

function cohort(): Subject[] {
  const out: Subject[] = [];
  const sizes: [Group, Subject['syndrome'], number][] = [['DRE', 'TLE', 12], ['DRE', 'IGE', 10], ['DSE', 'TLE', 13], ['DSE', 'IGE', 12], ['HC', '', 27]];
  for (const [group, syndrome, n] of sizes) {
    for (let s = 0; s < n; s++) {
      const rng = stream(77, out.length);
      const patient = group !== 'HC';
      const id = `sub-${group.toLowerCase()}${String(out.filter((q) => q.group === group).length + 1).padStart(2, '0')}`;
      out.push({
        id,
        group,
        syndrome,
        age: Math.round(18 + 30 * rng.next()) + (group === 'DRE' ? 3 : 0),
        sex: rng.next() < (group === 'HC' ? 0.45 : 0.55) ? 'M' : 'F',
        duration: patient ? Math.round(1 + 20 * rng.next()) : null,
        onset: patient ? Math.round(4 + 16 * rng.next()) : null,
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------ plain twins
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1));

function anova(groups: number[][]): { F: number; df: [number, number]; p: number } {
  const all = groups.flat();
  const m = mean(all);
  const ssb = groups.reduce((a, g) => a + g.length * (mean(g) - m) ** 2, 0);
  const ssw = groups.reduce((a, g) => a + g.reduce((b, x) => b + (x - mean(g)) ** 2, 0), 0);
  const df: [number, number] = [groups.length - 1, all.length - groups.length];
  const F = ssb / df[0] / (ssw / df[1]);
  return { F, df, p: 1 - jStat.centralF.cdf(F, df[0], df[1]) };
}

function chiSquare(table: number[][]): { X2: number; df: number; p: number } {
  const rows = table.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = table[0]!.map((_, j) => table.reduce((a, r) => a + r[j]!, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  let X2 = 0;
  table.forEach((r, i) => r.forEach((o, j) => (X2 += (o - (rows[i]! * cols[j]!) / n) ** 2 / ((rows[i]! * cols[j]!) / n))));
  const df = (table.length - 1) * (table[0]!.length - 1);
  return { X2, df, p: 1 - jStat.chisquare.cdf(X2, df) };
}

/** Mann–Whitney U of x by counting pairs; normal approximation with tie and continuity correction (R wilcox.test, exact = FALSE). */
function mannWhitney(x: number[], y: number[]): { U: number; p: number } {
  let U = 0;
  for (const a of x) for (const b of y) U += a > b ? 1 : a === b ? 0.5 : 0;
  const all = [...x, ...y];
  const N = all.length;
  const ties = [...new Set(all)].map((v) => all.filter((u) => u === v).length);
  const sigma = Math.sqrt(((x.length * y.length) / 12) * (N + 1 - ties.reduce((a, t) => a + t ** 3 - t, 0) / (N * (N - 1))));
  const d = U - (x.length * y.length) / 2;
  const z = (d - 0.5 * Math.sign(d)) / sigma;
  return { U, p: 2 * (1 - jStat.normal.cdf(Math.abs(z), 0, 1)) };
}

/** Pooled two-sample t at one voxel. */
function twoSampleT(a: number[], b: number[]): number {
  const sp2 = ((a.length - 1) * sd(a) ** 2 + (b.length - 1) * sd(b) ** 2) / (a.length + b.length - 2);
  return (mean(a) - mean(b)) / Math.sqrt(sp2 * (1 / a.length + 1 / b.length));
}

/** 26-connected components of the non-zero voxels of a map, positive and negative apart (flood fill). */
function components(m: Float32Array): number[][] {
  const seen = new Uint8Array(V);
  const out: number[][] = [];
  for (let v0 = 0; v0 < V; v0++) {
    if (!m[v0] || seen[v0]) continue;
    const comp: number[] = [];
    const stack = [v0];
    seen[v0] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      comp.push(v);
      const [i, j, k] = [v % DIMS[0], Math.floor(v / DIMS[0]) % DIMS[1], Math.floor(v / (DIMS[0] * DIMS[1]))];
      for (let dk = -1; dk <= 1; dk++)
        for (let dj = -1; dj <= 1; dj++)
          for (let di = -1; di <= 1; di++) {
            const [a, b, c] = [i + di, j + dj, k + dk];
            if (a < 0 || b < 0 || c < 0 || a >= DIMS[0] || b >= DIMS[1] || c >= DIMS[2]) continue;
            const u = a + DIMS[0] * (b + DIMS[1] * c);
            if (m[u] && Math.sign(m[u]!) === Math.sign(m[v0]!) && !seen[u]) (seen[u] = 1), stack.push(u);
          }
    }
    out.push(comp.sort((a, b) => a - b));
  }
  return out;
}

/** The 2 mm AAL label at each voxel centre of the data grid (both axis-aligned: index = (mm − origin)/step, rounded). */
function aalOnGrid(): { labels: Int32Array; names: Map<number, string> } {
  const a = loadBundledAtlas('aal', '2mm');
  const labels = new Int32Array(V);
  for (let k = 0; k < DIMS[2]; k++)
    for (let j = 0; j < DIMS[1]; j++)
      for (let i = 0; i < DIMS[0]; i++) {
        const [x, y, z] = [AFFINE[3]! + 3 * i, AFFINE[7]! + 3 * j, AFFINE[11]! + 3 * k];
        const [si, sj, sk] = [Math.round((90 - x) / 2), Math.round((y + 126) / 2), Math.round((z + 72) / 2)];
        labels[i + DIMS[0] * (j + DIMS[1] * k)] = a.labels[si + 91 * (sj + 109 * sk)]!;
      }
  return { labels, names: a.table };
}

// ------------------------------------------------------------------ the job
describe('reho job with a group step on a cohort of the study sizes: Table 1, cluster × region tables, subgroups, deviation maps', () => {
  const subjects = cohort();
  let out = '';
  let result: Record<string, any> = {};
  let group: Record<string, any> = {};
  const sz: Record<string, Float32Array> = {};
  const read = (rel: string) => readNifti(readFileSync(join(out, rel)), rel).data;
  const csv = (rel: string) => readFileSync(join(out, rel), 'utf8').trim().split('\n').map((l) => l.split(','));

  beforeAll(async () => {
    const dir = tmpDir('nb-reho-cohort-');
    const inDir = join(dir, 'in');
    mkdirSync(inDir, { recursive: true });
    const lines = ['participant_id\tgroup\tsyndrome\tage\tsex\tduration\tonset\tfunc'];
    subjects.forEach((s, k) => {
      writeFileSync(join(inDir, `${s.id}_bold.nii.gz`), writeNifti({ dims: [...DIMS, NT], affine: AFFINE, data: bold(s, k), tr: 2 }, { datatype: 'float32' }));
      lines.push([s.id, s.group, s.syndrome, s.age, s.sex, s.duration ?? 'n/a', s.onset ?? 'n/a', `${s.id}_bold.nii.gz`].join('\t'));
    });
    writeFileSync(join(inDir, 'participants.tsv'), lines.join('\n') + '\n');
    writeFileSync(join(inDir, 'mask.nii.gz'), writeNifti({ dims: DIMS, affine: AFFINE, data: new Float32Array(V).fill(1) }, { datatype: 'uint8' }));
    const job = {
      jobId: 'reho-cohort15',
      pipeline: 'reho',
      inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz' },
      params: {
        preprocess: false,
        smoothFwhmMm: 0,
        group: {
          groups: [...GROUPS],
          contrasts: ['DRE-HC', 'DSE-HC'],
          fContrasts: [{ name: 'groups', groups: [...GROUPS] }],
          demographics: { variables: ['age', 'sex', 'duration', 'onset'], mannWhitney: ['duration', 'onset'] },
          minClusterVoxels: 20,
          analyses: [
            { name: 'TLE', filter: { syndrome: 'TLE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC', 'DSE-HC'] },
            { name: 'IGE', filter: { syndrome: 'IGE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC', 'DSE-HC'] },
          ],
          deviation: { reference: 'HC', patients: ['DRE', 'DSE'], filter: { syndrome: 'IGE' } },
          inference: { grf: { voxelP: 0.001, clusterP: 0.05, twoTailed: true } },
        },
      },
    };
    writeFileSync(join(inDir, 'job.json'), JSON.stringify(job, null, 2));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(inDir, 'job.json')).href, pipeline: 'reho', outDir: join(dir, 'out'), threads: 2 });
    if (outcome.status !== 'succeeded') throw new Error(`reho cohort job: ${JSON.stringify(outcome)}`);
    out = join(dir, 'out', 'reho-cohort15');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    group = result.group;
    for (const s of subjects) sz[s.id] = read(`maps/${s.id}_szreho.nii.gz`);
  }, 600_000);

  const values = (ss: Subject[], v: number) => ss.map((s) => sz[s.id]![v]!);
  const of = (g: Group, syndrome?: string) => subjects.filter((s) => s.group === g && (!syndrome || s.syndrome === syndrome));

  it('writes Table 1, the F main effect, the region tables, the subgroup analyses and the deviation maps beside the subject maps', () => {
    expect(group.pipeline).toBe('glm');
    const expected = [
      'tables/demographics.csv',
      'maps/groups_F.nii.gz',
      'tables/DRE-HC_cluster_regions.csv',
      'tables/DRE-HC_cluster_values.csv',
      'analyses/TLE/tables/demographics.csv',
      'analyses/TLE/maps/DRE-HC_t.nii.gz',
      'analyses/IGE/tables/demographics.csv',
      'analyses/IGE/maps/DRE-HC_t.nii.gz',
      'analyses/IGE/tables/DRE-HC_cluster_regions.csv',
      'maps/deviation/DRE_mean_z.nii.gz',
      'maps/deviation/DSE_mean_z.nii.gz',
      'maps/deviation/DRE-DSE_t.nii.gz',
      ...subjects.filter((s) => s.syndrome === 'IGE').map((s) => `maps/deviation/${s.id}_z.nii.gz`),
    ];
    for (const f of expected) expect(result.outputs, f).toContain(f);
    expect(group.analyses.TLE.groups).toEqual({ DRE: 12, DSE: 13, HC: 27 });
    expect(group.analyses.IGE.groups).toEqual({ DRE: 10, DSE: 12, HC: 27 });
    expect(group.deviation.patients.map((p: any) => [p.group, p.n])).toEqual([['DRE', 10], ['DSE', 12]]);
    // no atlas given, maps declared MNI on a non-bundled grid: the bundled AAL resampled by nearest neighbour
    expect(group.clusterAtlas).toMatch(/AAL.*resampled from 2 mm by nearest neighbour/);
  });

  it('Table 1: age by one-way ANOVA, sex by Pearson χ², duration and onset by Mann–Whitney U, as computed by hand', () => {
    const d = group.demographics;
    expect(d.groups).toEqual([...GROUPS]);
    const v = (name: string) => d.variables.find((x: any) => x.name === name);
    const age = anova(GROUPS.map((g) => of(g).map((s) => s.age)));
    expect(v('age').test).toBe('one-way ANOVA');
    expect(v('age').statistic).toBeCloseTo(age.F, 8);
    expect(v('age').df).toEqual(age.df);
    expect(v('age').p).toBeCloseTo(age.p, 6);
    for (const g of GROUPS) {
      expect(v('age').byGroup[g].mean).toBeCloseTo(mean(of(g).map((s) => s.age)), 8);
      expect(v('age').byGroup[g].sd).toBeCloseTo(sd(of(g).map((s) => s.age)), 8);
    }
    const sex = chiSquare(GROUPS.map((g) => ['F', 'M'].map((x) => of(g).filter((s) => s.sex === x).length)));
    expect(v('sex').test).toBe('Pearson chi-squared');
    expect(v('sex').statistic).toBeCloseTo(sex.X2, 8);
    expect(v('sex').df).toBe(sex.df);
    expect(v('sex').p).toBeCloseTo(sex.p, 6);
    for (const name of ['duration', 'onset'] as const) {
      const w = d.pairwise.find((x: any) => x.name === name && x.groups[0] === 'DRE' && x.groups[1] === 'DSE');
      const mw = mannWhitney(of('DRE').map((s) => s[name]!), of('DSE').map((s) => s[name]!));
      expect(w.U, name).toBe(mw.U);
      expect(w.p, name).toBeCloseTo(mw.p, 6);
    }
    const table = readFileSync(join(out, 'tables/demographics.csv'), 'utf8');
    expect(table).toContain('one-way ANOVA');
    expect(table).toContain('Mann-Whitney U');
    // the IGE subgroup's Table 1 counts its own patients
    const ige = readFileSync(join(out, 'analyses/IGE/tables/demographics.csv'), 'utf8');
    expect(group.analyses.IGE.demographics.variables.find((x: any) => x.name === 'age').statistic).toBeCloseTo(anova(GROUPS.map((g) => of(g, g === 'HC' ? undefined : 'IGE').map((s) => s.age))).F, 8);
    expect(ige).not.toBe(table);
  });

  it('the IGE and TLE subgroup DRE-HC t maps are pooled two-sample t-tests on those patients and all controls', () => {
    for (const syn of ['IGE', 'TLE'] as const) {
      const t = read(`analyses/${syn}/maps/DRE-HC_t.nii.gz`);
      for (const v of [0, 133, 257, 411, V - 1]) expect(t[v]!, `${syn} voxel ${v}`).toBeCloseTo(twoSampleT(values(of('DRE', syn), v), values(of('HC'), v)), 3);
      expect(group.analyses[syn].contrasts['DRE-HC'].dof).toBe(of('DRE', syn).length + 27 - 2);
    }
  });

  it('cluster × region rows: a flood fill of the surviving clusters broken into the AAL regions at each voxel centre', () => {
    const c = group.contrasts['DRE-HC'];
    expect(c.clusters.length).toBeGreaterThan(0);
    const t = read('maps/DRE-HC_t.nii.gz');
    const comps = components(read('maps/DRE-HC_grf.nii.gz'));
    expect(comps.length).toBe(c.clusters.length);
    const { labels, names } = aalOnGrid();
    const rows = csv('tables/DRE-HC_cluster_regions.csv');
    expect(rows[0]).toEqual(['cluster', 'tail', 'cluster_voxels', 'label', 'region', 'voxels', 'peak_x', 'peak_y', 'peak_z_mm', 'peak_t']);
    const body = rows.slice(1);
    // clusters are numbered by size (as tables/DRE-HC_clusters.csv)
    comps.sort((a, b) => b.length - a.length);
    expect(comps.every((k) => k.length >= 20)).toBe(true);
    comps.forEach((comp, ci) => {
      const mine = body.filter((r) => Number(r[0]) === ci + 1);
      expect(mine.length).toBeGreaterThan(0);
      for (const r of mine) expect(Number(r[2])).toBe(comp.length);
      const byLabel = new Map<number, number[]>();
      for (const v of comp) byLabel.set(labels[v]!, [...(byLabel.get(labels[v]!) ?? []), v]);
      expect(new Map(mine.map((r) => [Number(r[3]), Number(r[5])]))).toEqual(new Map([...byLabel].map(([l, vs]) => [l, vs.length])));
      for (const r of mine) {
        const vs = byLabel.get(Number(r[3]))!;
        expect(r[4]).toBe(Number(r[3]) === 0 ? '' : names.get(Number(r[3])));
        const peak = vs.reduce((a, b) => (Math.abs(t[b]!) > Math.abs(t[a]!) ? b : a));
        expect(Number(r[9])).toBeCloseTo(t[peak]!, 3);
        const [i, j, k] = [peak % DIMS[0], Math.floor(peak / DIMS[0]) % DIMS[1], Math.floor(peak / (DIMS[0] * DIMS[1]))];
        expect([Number(r[6]), Number(r[7]), Number(r[8])]).toEqual([AFFINE[3]! + 3 * i, AFFINE[7]! + 3 * j, AFFINE[11]! + 3 * k]);
      }
    });
    // the cluster table's peak label is the AAL region at the peak voxel
    const clusters = csv('tables/DRE-HC_clusters.csv');
    expect(clusters[0]![9]).toBe('label');
    for (const r of clusters.slice(1)) {
      const [i, j, k] = [(Number(r[6]) - AFFINE[3]!) / 3, (Number(r[7]) - AFFINE[7]!) / 3, (Number(r[8]) - AFFINE[11]!) / 3];
      expect(r[9]).toBe(names.get(labels[i + DIMS[0] * (j + DIMS[1] * k)]!) ?? '');
    }
    expect(clusters.slice(1).some((r) => r[9] !== '')).toBe(true);
    // the planted DRE effect sits in the cerebellum
    expect(body.some((r) => /^Cerebelum_/.test(r[4]!))).toBe(true);
    // and each DRE/HC subject's cluster value is their szReHo mean over the cluster's voxels
    const vals = csv('tables/DRE-HC_cluster_values.csv');
    expect(vals[0]).toEqual(['participant_id', ...comps.map((_, i) => `cluster_${i + 1}`)]);
    expect(vals.length - 1).toBe(22 + 27);
    for (const r of vals.slice(1)) comps.forEach((comp, ci) => expect(Number(r[ci + 1]), `${r[0]} cluster ${ci + 1}`).toBeCloseTo(mean(comp.map((v) => sz[r[0]!]![v]!)), 5));
  });

  it('IGE deviation maps: each patient’s z against the controls’ mean and SD, their group means and the DRE − DSE t', () => {
    const hc = of('HC');
    const dre = of('DRE', 'IGE');
    const dse = of('DSE', 'IGE');
    const zOf = (s: Subject, v: number) => (sz[s.id]![v]! - mean(values(hc, v))) / sd(values(hc, v));
    for (const s of [dre[0]!, dre[9]!, dse[3]!]) {
      const z = read(`maps/deviation/${s.id}_z.nii.gz`);
      for (const v of [0, 57, 133, 388, 640, V - 1]) expect(z[v]!, `${s.id} voxel ${v}`).toBeCloseTo(zOf(s, v), 4);
    }
    const dreMean = read('maps/deviation/DRE_mean_z.nii.gz');
    const cmp = read('maps/deviation/DRE-DSE_t.nii.gz');
    for (const v of [12, 133, 477]) {
      expect(dreMean[v]!).toBeCloseTo(mean(dre.map((s) => zOf(s, v))), 4);
      expect(cmp[v]!).toBeCloseTo(twoSampleT(dre.map((s) => zOf(s, v)), dse.map((s) => zOf(s, v))), 3);
    }
    // IGE patients deviate upwards in blob B (planted), not elsewhere
    const inB = 7 + DIMS[0] * (6 + DIMS[1] * 4);
    expect(dreMean[inB]!).toBeGreaterThan(1);
  });

  it('neuroburst correlate on two contrasts’ cluster values: the shared subjects (the controls), against a direct Pearson r', () => {
    const a = join(out, 'tables/DRE-HC_cluster_values.csv');
    const b = join(out, 'tables/groups_cluster_values.csv');
    const { result: r } = runCorrelate(a, b);
    expect(r.shared).toBe(22 + 27);
    const A = csv('tables/DRE-HC_cluster_values.csv').slice(1);
    const B = new Map(csv('tables/groups_cluster_values.csv').slice(1).map((x) => [x[0]!, x]));
    const x = A.map((q) => Number(q[1]));
    const y = A.map((q) => Number(B.get(q[0]!)![1]));
    const mx = mean(x);
    const my = mean(y);
    const rr = x.reduce((s, xi, i) => s + (xi - mx) * (y[i]! - my), 0) / Math.sqrt(x.reduce((s, xi) => s + (xi - mx) ** 2, 0) * y.reduce((s, yi) => s + (yi - my) ** 2, 0));
    expect(r.rows.find((q) => q.a === 'cluster_1' && q.b === 'cluster_1')!.r).toBeCloseTo(rr, 6);
  });
});
