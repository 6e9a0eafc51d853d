/**
 * Issue 15 wired into the glm pipeline: one job on a synthetic cohort with the study's group
 * sizes gives Table 1, cluster × region rows, cluster values, an F main effect, TLE and IGE
 * subgroup analyses and IGE deviation maps. Each output is compared with the module applied
 * directly to the same data (the math of each module has its own independent tests).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { mmToVoxel } from '../shared/nifti/affine.ts';
import { stream } from '../shared/random.ts';
import { parseTable } from '../shared/jobs/table.ts';
import { demographics, demographicsCsv } from '../shared/stats/demographics.ts';
import { fContrastModel, fitF } from '../shared/stats/fcontrast.ts';
import { fToZ } from '../shared/stats/fdist.ts';
import { fitGlm, glmModel } from '../shared/stats/glm.ts';
import { compareDeviationGroups, deviationMaps, groupMeanMap } from '../shared/stats/deviation.ts';
import { findClusters, type Cluster } from '../shared/volume/clusters.ts';
import { applyMinClusterVoxels, clusterRegions, clusterRegionsCsv, clusterValues, clusterValuesCsv } from '../shared/volume/cluster-regions.ts';
import { parseLabelTable } from '../shared/volume/atlas-labels.ts';
import { BUNDLED_GRIDS, loadBundledAtlas } from '../shared/volume/atlas-bundle.ts';
import { glmParamsSchema } from '../shared/pipelines/glm/params.ts';
import { declaresMni, regionAtlas } from '../shared/pipelines/glm/cohort.ts';
import { AFFINE, DIMS, makeAtlas, makeCohort, V, writeCohort, type CohortSubject } from './helpers/synthetic-cohort.ts';
import { expectFailedJob, expectNamed } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';

const GROUPS = ['DRE', 'DSE', 'HC'];
const DEMO = { variables: ['age', 'sex', 'duration', 'onset'], mannWhitney: ['duration', 'onset'], fisher: 'auto' as const };

function writeJob(dir: string, jobId: string, params: Record<string, unknown>, inputs: Record<string, unknown> = {}): string {
  const job = { jobId, pipeline: 'glm', inputs: { participants: 'participants.tsv', ...inputs }, params };
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify(job, null, 2));
  return path;
}

const run = (jobPath: string, out: string) => runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'glm', outDir: out, threads: 2 });
const map = (dir: string, rel: string) => readNifti(readFileSync(join(dir, rel)), rel).data;

/** Rows of the subjects' maps (n × V). */
function stack(subjects: CohortSubject[]): Float32Array {
  const Y = new Float32Array(subjects.length * V);
  subjects.forEach((s, k) => Y.set(s.map, k * V));
  return Y;
}

/** Cell-means design [groups…, age, sex[M]] written out by hand. */
function design(subjects: CohortSubject[], groups: string[]): Float64Array {
  const p = groups.length + 2;
  const X = new Float64Array(subjects.length * p);
  subjects.forEach((s, i) => {
    X[i * p + groups.indexOf(s.group)] = 1;
    X[i * p + groups.length] = s.age;
    X[i * p + groups.length + 1] = s.sex === 'M' ? 1 : 0;
  });
  return X;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let v = 0; v < a.length; v++) w = Math.max(w, Math.abs(a[v]! - b[v]!));
  return w;
}

/** The reducer's cluster list, rebuilt from its own z map and thresholds: both tails, sorted, small ones removed. */
function survivingClusters(z: Float32Array, zThr: number, kThr: number, minVox: number, tails: ('+' | '-')[]): { c: Cluster; tail: '+' | '-' }[] {
  const all = tails.flatMap((tail) => findClusters(z, DIMS, zThr, tail, 26, kThr, undefined, true).map((c) => ({ c, tail })));
  all.sort((a, b) => b.c.voxels - a.c.voxels || Math.abs(b.c.peakValue) - Math.abs(a.c.peakValue) || a.c.peakIndex - b.c.peakIndex);
  const kept = new Set(applyMinClusterVoxels(all.map((x) => x.c), minVox));
  return all.filter((x) => kept.has(x.c));
}

describe('glm job on a synthetic cohort with the study group sizes (DRE 22 / DSE 25 / HC 27)', () => {
  const subjects = makeCohort();
  let out = '';
  let inDir = '';
  let table = '';
  let result: Record<string, any> = {};

  beforeAll(async () => {
    const dir = tmpDir('nb-glm-cohort-');
    inDir = join(dir, 'in');
    table = writeCohort(inDir, subjects).table;
    const params = {
      groups: GROUPS,
      contrasts: ['DRE-HC', 'DSE-HC', 'DRE-DSE'],
      covariates: ['age', { name: 'sex', type: 'categorical' }],
      fContrasts: [{ name: 'groups', groups: GROUPS }],
      demographics: DEMO,
      minClusterVoxels: 20,
      analyses: [
        { name: 'TLE', filter: { syndrome: 'TLE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC', 'DSE-HC'], fContrasts: [{ name: 'groups', groups: GROUPS }] },
        { name: 'IGE', filter: { syndrome: 'IGE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC', 'DSE-HC'] },
      ],
      deviation: { reference: 'HC', patients: ['DRE', 'DSE'], filter: { syndrome: 'IGE' }, covariates: ['age'] },
      inference: { grf: { voxelP: 0.001, clusterP: 0.05, twoTailed: true, connectivity: 26 } },
    };
    const outcome = await run(writeJob(inDir, 'cohort', params, { atlas: 'atlas.nii.gz', atlasLabels: 'atlas.csv' }), join(dir, 'out'));
    if (outcome.status !== 'succeeded') throw new Error(`cohort job: ${JSON.stringify(outcome)}`);
    out = join(dir, 'out', 'cohort');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  }, 600_000);

  it('lists every cohort output and writes it', () => {
    const expected = [
      'tables/demographics.csv',
      'maps/groups_F.nii.gz',
      'maps/groups_z.nii.gz',
      'maps/groups_grf.nii.gz',
      'tables/DRE-HC_cluster_regions.csv',
      'tables/DRE-HC_cluster_values.csv',
      'tables/groups_cluster_regions.csv',
      'analyses/TLE/maps/DRE-HC_t.nii.gz',
      'analyses/TLE/maps/groups_F.nii.gz',
      'analyses/TLE/tables/DRE-HC_cluster_regions.csv',
      'analyses/TLE/tables/demographics.csv',
      'analyses/IGE/maps/DSE-HC_t.nii.gz',
      'maps/deviation/DRE_mean_z.nii.gz',
      'maps/deviation/DSE_mean_z.nii.gz',
      'maps/deviation/DRE-DSE_t.nii.gz',
      ...subjects.filter((s) => s.syndrome === 'IGE').map((s) => `maps/deviation/${s.id}_z.nii.gz`),
    ];
    for (const f of expected) {
      expect(result.outputs, f).toContain(f);
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(result.outputs.at(-1)).toBe('result.json');
    expect(result.analyses.TLE.groups).toEqual({ DRE: 12, DSE: 13, HC: 27 });
    expect(result.analyses.IGE.groups).toEqual({ DRE: 10, DSE: 12, HC: 27 });
    expect(result.deviation.nReference).toBe(27);
    expect(result.deviation.patients.map((p: any) => [p.group, p.n])).toEqual([['DRE', 10], ['DSE', 12]]);
    expect(result.minClusterVoxels).toBe(20);
    expect(result.clusterAtlas).toBe('inputs.atlas');
    expect(result.methods).toMatch(/Clusters smaller than 20 voxels were not reported/);
    expect(result.methods).toMatch(/Subgroup analysis TLE/);
    expect(result.methods).toMatch(/Deviation maps/);
  });

  it('Table 1 equals the demographics module applied to the participants table', () => {
    const direct = demographics(parseTable(table, 'participants.tsv'), { group: 'group', groups: GROUPS, categorical: [], kruskal: false, ...DEMO });
    expect(readFileSync(join(out, 'tables/demographics.csv'), 'utf8')).toBe(demographicsCsv(direct));
    expect(result.demographics).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(direct.variables.map((v) => v.test)).toEqual(['one-way ANOVA', 'Pearson chi-squared', 'one-way ANOVA', 'one-way ANOVA']);
    expect(direct.pairwise.length).toBeGreaterThan(0);
    expect(result.methods).toContain(direct.variables[0]!.test);
    // the TLE subgroup's Table 1 is the module on the TLE patients and all controls
    const tleRows = parseTable(table, 'p').rows.filter((r) => r.syndrome === 'TLE' || r.group === 'HC');
    const tle = demographics({ columns: parseTable(table, 'p').columns, rows: tleRows }, { group: 'group', groups: GROUPS, categorical: [], kruskal: false, ...DEMO });
    expect(readFileSync(join(out, 'analyses/TLE/tables/demographics.csv'), 'utf8')).toBe(demographicsCsv(tle));
  });

  it('the F main effect equals fitF on the same maps and design; z = fToZ(F)', () => {
    const Y = stack(subjects);
    const m = fContrastModel(design(subjects, GROUPS), subjects.length, 5, [Float64Array.from([1, -1, 0, 0, 0]), Float64Array.from([0, 1, -1, 0, 0])], 'F');
    const F = new Float32Array(V);
    fitF(m, Y, V, undefined, F);
    const got = map(out, 'maps/groups_F.nii.gz');
    expect(maxAbsDiff(got, F)).toBeLessThan(1e-4);
    const z = map(out, 'maps/groups_z.nii.gz');
    for (const v of [0, 100, 300, 777]) expect(z[v]!).toBeCloseTo(fToZ(got[v]!, 2, m.dof), 4);
    expect(result.contrasts.groups.kind).toBe('F');
    expect(result.contrasts.groups.df).toEqual([2, subjects.length - 5]);
    // GRF on z is one-tailed for F: every cluster is a positive one
    expect(result.contrasts.groups.clusters.every((c: any) => c.tail === '+')).toBe(true);
    expect(result.contrasts.groups.clusters.length).toBeGreaterThan(0);
  });

  it('the TLE subgroup DRE-HC t map equals a GLM on the TLE DRE patients and all controls', () => {
    const sub = subjects.filter((s) => (s.group === 'DRE' && s.syndrome === 'TLE') || s.group === 'HC');
    const model = glmModel(design(sub, ['DRE', 'HC']), sub.length, 4, [Float64Array.from([1, -1, 0, 0])], 'TLE');
    const t = new Float32Array(V);
    fitGlm(model, stack(sub), V, undefined, [t]);
    expect(maxAbsDiff(map(out, 'analyses/TLE/maps/DRE-HC_t.nii.gz'), t)).toBeLessThan(1e-4);
    expect(result.analyses.TLE.contrasts['DRE-HC'].dof).toBe(sub.length - 4);
  });

  it('cluster × region rows and cluster values equal the modules on the reported clusters (min 20 voxels)', () => {
    const c = result.contrasts['DRE-HC'];
    const z = map(out, 'maps/DRE-HC_z.nii.gz');
    const t = map(out, 'maps/DRE-HC_t.nii.gz');
    const clusters = survivingClusters(z, c.zThreshold, c.clusterSizeThreshold, 20, ['+', '-']);
    expect(clusters.length).toBeGreaterThan(0);
    expect(clusters.length).toBe(c.clusters.length);
    for (const k of c.clusters) expect(k.voxels).toBeGreaterThanOrEqual(20);
    const numbered = clusters.map((x, i) => ({ ...x.c, id: i + 1, tail: x.tail }));
    const labels = parseLabelTable(readFileSync(join(inDir, 'atlas.csv'), 'utf8'), 'atlas.csv');
    const rows = clusterRegions(t, DIMS, AFFINE, numbered, makeAtlas(), labels);
    expect(rows.some((r) => r.region === 'Quadrant_A')).toBe(true);
    expect(readFileSync(join(out, 'tables/DRE-HC_cluster_regions.csv'), 'utf8')).toBe(clusterRegionsCsv(rows, 't'));
    const sub = subjects.filter((s) => s.group === 'DRE' || s.group === 'HC');
    const vals = clusterValues(stack(sub), sub.length, V, numbered);
    expect(readFileSync(join(out, 'tables/DRE-HC_cluster_values.csv'), 'utf8')).toBe(clusterValuesCsv(sub.map((s) => s.id), numbered, vals));
    // DRE lowers the maps in its blob: the DRE subjects' mean in the negative cluster is below the controls'
    const neg = numbered.findIndex((k) => k.tail === '-');
    expect(neg).toBeGreaterThanOrEqual(0);
    const K = numbered.length;
    const mean = (g: string) => {
      const idx = sub.flatMap((s, i) => (s.group === g ? [i] : []));
      return idx.reduce((a, i) => a + vals[i * K + neg]!, 0) / idx.length;
    };
    expect(mean('DRE')).toBeLessThan(mean('HC'));
  });

  it('F-contrast tables, sidecars and methods say F (peak_F, F → z), t-contrasts say t', () => {
    const F = map(out, 'maps/groups_F.nii.gz');
    const z = map(out, 'maps/groups_z.nii.gz');
    const csv = readFileSync(join(out, 'tables/groups_clusters.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('cluster,tail,voxels,volume_mm3,peak_F,peak_z,peak_x,peak_y,peak_z_mm,label');
    expect(readFileSync(join(out, 'tables/groups_clusters.tsv'), 'utf8').split('\n')[0]!.split('\t')).toEqual(['cluster_id', 'tail', 'size_voxels', 'volume_mm3', 'peak_fstat', 'peak_zstat', 'peak_x_mm', 'peak_y_mm', 'peak_z_mm', 'label']);
    expect(csv.length - 1).toBe(result.contrasts.groups.clusters.length);
    for (const line of csv.slice(1)) {
      const f = line.split(',');
      // the peak's F and z are the maps' values at the peak coordinate
      const [i, j, k] = mmToVoxel(AFFINE, Number(f[6]), Number(f[7]), Number(f[8])).map(Math.round) as [number, number, number];
      const v = i + DIMS[0] * (j + DIMS[1] * k);
      expect(Number(f[4])).toBeCloseTo(F[v]!, 3);
      expect(Number(f[5])).toBeCloseTo(z[v]!, 3);
      expect(Number(f[5])).toBeCloseTo(fToZ(F[v]!, 2, subjects.length - 5), 3);
    }
    expect(readFileSync(join(out, 'tables/groups_cluster_regions.csv'), 'utf8').split('\n')[0]!.endsWith(',peak_F')).toBe(true);
    expect(readFileSync(join(out, 'tables/DRE-HC_clusters.csv'), 'utf8').split('\n')[0]).toBe('cluster,tail,voxels,volume_mm3,peak_t,peak_z,peak_x,peak_y,peak_z_mm,label');
    expect(readFileSync(join(out, 'tables/DRE-HC_cluster_regions.csv'), 'utf8').split('\n')[0]!.endsWith(',peak_t')).toBe(true);
    expect(readFileSync(join(out, 'analyses/TLE/tables/groups_clusters.csv'), 'utf8').split('\n')[0]).toContain(',peak_F,');
    const side = (rel: string) => JSON.parse(readFileSync(join(out, rel), 'utf8'));
    expect(side('maps/groups_F.json')).toMatchObject({ StatisticType: 'F', DegreesOfFreedom: [2, subjects.length - 5] });
    for (const rel of ['maps/groups_F.json', 'maps/groups_z.json', 'maps/groups_grf.json']) {
      expect(side(rel).Contrast.Rows, rel).toEqual(result.contrasts.groups.rows);
      expect(side(rel).Contrast.Weights, rel).toBeUndefined();
    }
    expect(side('maps/DRE-HC_grf.json').Contrast.Weights).toEqual(result.contrasts['DRE-HC'].contrast);
    expect(result.methods).toContain(`groups: F(2, ${subjects.length - 5}) → z,`);
    expect(result.methods).toContain(`DRE-HC: t → z, DOF ${result.contrasts['DRE-HC'].dof},`);
    expect(result.methods).toMatch(/two-tailed for t, one-tailed for F/);
    expect(result.methods).not.toMatch(/groups: t/);
  });

  it('IGE deviation maps, group means and their comparison equal the deviation module on the same maps', () => {
    const hc = subjects.filter((s) => s.group === 'HC');
    const dre = subjects.filter((s) => s.group === 'DRE' && s.syndrome === 'IGE');
    const dse = subjects.filter((s) => s.group === 'DSE' && s.syndrome === 'IGE');
    const pats = [...dre, ...dse];
    const cov = (ss: CohortSubject[]) => Float64Array.from(ss.map((s) => s.age));
    const Z = deviationMaps({ reference: stack(hc), nRef: hc.length, patients: stack(pats), nPat: pats.length, V, referenceCovariates: cov(hc), patientCovariates: cov(pats), k: 1 });
    pats.forEach((s, k) => expect(maxAbsDiff(map(out, `maps/deviation/${s.id}_z.nii.gz`), Z.subarray(k * V, (k + 1) * V)), s.id).toBeLessThan(1e-5));
    const zDre = Z.slice(0, dre.length * V);
    const zDse = Z.slice(dre.length * V);
    expect(maxAbsDiff(map(out, 'maps/deviation/DRE_mean_z.nii.gz'), groupMeanMap(zDre, dre.length, V))).toBeLessThan(1e-5);
    const cmp = compareDeviationGroups(zDre, dre.length, zDse, dse.length, V);
    expect(maxAbsDiff(map(out, 'maps/deviation/DRE-DSE_t.nii.gz'), cmp.t)).toBeLessThan(1e-4);
    expect(result.deviation.comparison.df).toBe(cmp.df);
  });
});

describe('permutation inference with an F-contrast and a subgroup analysis', () => {
  const subjects = makeCohort(5);
  let out = '';
  let result: Record<string, any> = {};
  beforeAll(async () => {
    const dir = tmpDir('nb-glm-cohort-perm-');
    writeCohort(join(dir, 'in'), subjects);
    const params = {
      groups: GROUPS,
      contrasts: ['DRE-HC'],
      covariates: ['age'],
      fContrasts: [{ name: 'groups', groups: GROUPS }],
      analyses: [{ name: 'TLE', filter: { syndrome: 'TLE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC'], fContrasts: [{ name: 'groups', groups: GROUPS }] }],
      inference: { permutation: { n: 20, batchSize: 20, clusterFormingP: 0.01, statistics: ['maxT', 'clusterExtent'] } },
    };
    const outcome = await run(writeJob(join(dir, 'in'), 'perm', params), join(dir, 'out'));
    if (outcome.status !== 'succeeded') throw new Error(`perm job: ${JSON.stringify(outcome)}`);
    out = join(dir, 'out', 'perm');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  }, 600_000);

  it('labels the F column peak_F (peak_t for t), with the F map value at each cluster peak', () => {
    const csv = readFileSync(join(out, 'tables/groups_permutation_clusters.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('cluster,voxels,volume_mm3,mass,peak_F,peak_z,peak_x,peak_y,peak_z_mm,label,p_fwe_extent,p_fwe_mass');
    expect(readFileSync(join(out, 'tables/groups_permutation_clusters.tsv'), 'utf8').split('\n')[0]!.split('\t')[4]).toBe('peak_fstat');
    expect(readFileSync(join(out, 'tables/DRE-HC_permutation_clusters.csv'), 'utf8').split('\n')[0]!.split(',')[4]).toBe('peak_t');
    const F = map(out, 'maps/groups_F.nii.gz');
    expect(csv.length).toBeGreaterThan(1);
    for (const line of csv.slice(1)) {
      const f = line.split(',');
      const [i, j, k] = mmToVoxel(AFFINE, Number(f[6]), Number(f[7]), Number(f[8])).map(Math.round) as [number, number, number];
      expect(Number(f[4])).toBeCloseTo(F[i + DIMS[0] * (j + DIMS[1] * k)]!, 3);
    }
    expect(JSON.parse(readFileSync(join(out, 'maps/groups_maxT_fwep.json'), 'utf8')).Contrast.Rows).toEqual(result.contrasts.groups.rows);
    expect(result.methods).toMatch(/t → z \(F → z for the F-contrasts, one-tailed\)/);
    expect(result.methods).not.toMatch(/, t converted to z/);
  });

  it('writes a subgroup analysis’s permutation outputs under analyses/<name>/, apart from the main ones', () => {
    for (const f of ['maps/DRE-HC_uncp.nii.gz', 'maps/groups_maxT_fwep.nii.gz', 'tables/groups_permutation_clusters.csv']) {
      expect(result.outputs).toContain(f);
      expect(result.outputs).toContain(`analyses/TLE/${f}`);
    }
    expect(result.analyses.TLE.contrasts.groups.permutation.permutations).toBe(20);
    // different subjects, different statistics: the main map was not overwritten by the subgroup's
    expect(maxAbsDiff(map(out, 'maps/groups_uncp.nii.gz'), map(out, 'analyses/TLE/maps/groups_uncp.nii.gz'))).toBeGreaterThan(0);
  });
});

describe('cohort bad input', () => {
  const subjects = makeCohort(3);

  it('a subgroup filter leaving fewer than 2 subjects in a group names the analysis and the group', async () => {
    const dir = tmpDir('nb-glm-cohort-bad-');
    writeCohort(join(dir, 'in'), subjects);
    const params = { contrasts: ['DRE-HC'], analyses: [{ name: 'one', filter: { participant_id: ['sub-dre01'] }, referenceGroups: ['HC'], contrasts: ['DRE-HC'] }] };
    const outcome = await run(writeJob(join(dir, 'in'), 'bad-filter', params), join(dir, 'out'));
    expectFailedJob(outcome, join(dir, 'out', 'bad-filter'), 'TooFewSubjects', { input: 'params.analyses[0].filter', message: /analysis "one": group "DRE" has 1 subject/ });
  });

  it('a deviation reference group of fewer than 3 subjects', async () => {
    const dir = tmpDir('nb-glm-cohort-bad-');
    const few = subjects.filter((s) => s.group !== 'HC' || s.id <= 'sub-hc02');
    writeCohort(join(dir, 'in'), few);
    const params = { contrasts: ['DRE-DSE'], deviation: { reference: 'HC', patients: ['DRE'] } };
    const outcome = await run(writeJob(join(dir, 'in'), 'bad-ref', params), join(dir, 'out'));
    expectFailedJob(outcome, join(dir, 'out', 'bad-ref'), 'TooFewSubjects', { input: 'params.deviation.reference', message: /"HC" has 2 subject/ });
  });

  it('an F-contrast of rank 0', async () => {
    const dir = tmpDir('nb-glm-cohort-bad-');
    writeCohort(join(dir, 'in'), subjects);
    const params = { fContrasts: [{ name: 'zero', rows: [[0, 0, 0]] }] };
    const outcome = await run(writeJob(join(dir, 'in'), 'bad-f', params), join(dir, 'out'));
    expectFailedJob(outcome, join(dir, 'out', 'bad-f'), 'NonEstimableContrast', { input: 'params.fContrasts (zero)' });
  });

  it('an F-contrast whose rows do not fit the design, or naming a group the design lacks', async () => {
    const dir = tmpDir('nb-glm-cohort-bad-');
    writeCohort(join(dir, 'in'), subjects);
    const short = await run(writeJob(join(dir, 'in'), 'bad-f-cols', { fContrasts: [{ name: 'short', rows: [[1, -1]] }] }), join(dir, 'out'));
    expectFailedJob(short, join(dir, 'out', 'bad-f-cols'), 'InvalidJobSpec', { input: /params\.fContrasts/ });
    const absent = await run(writeJob(join(dir, 'in'), 'bad-f-group', { fContrasts: [{ name: 'g', groups: ['DRE', 'XYZ'] }] }), join(dir, 'out'));
    expectFailedJob(absent, join(dir, 'out', 'bad-f-group'), 'InvalidJobSpec', { input: /params\.fContrasts/, message: /XYZ/ });
  });

  it('a bundled atlas asked for by name on a grid that shares no voxel with MNI space', async () => {
    const dir = tmpDir('nb-glm-cohort-bad-');
    const far = Float64Array.from(AFFINE);
    far[3] = 1000;
    // the cohort moved 1 km to the right: no voxel of the data falls inside the atlas
    writeCohort(join(dir, 'in'), subjects);
    for (const q of subjects) {
      const f = join(dir, 'in', 'maps', `${q.id}.nii.gz`);
      writeFileSync(f, writeNifti({ dims: DIMS, affine: far, pixdim: [3, 3, 3], data: readNifti(readFileSync(f), f).data }, { datatype: 'float32' }));
    }
    const outcome = await run(writeJob(join(dir, 'in'), 'bad-atlas', { contrasts: ['DRE-HC'], atlas: 'aal' }), join(dir, 'out'));
    expectFailedJob(outcome, join(dir, 'out', 'bad-atlas'), 'NoGridOverlap', { input: 'params.atlas' });
  });

  it('a partly numeric demographics column names the column and row', async () => {
    const dir = tmpDir('nb-glm-cohort-bad-');
    const { tsv } = writeCohort(join(dir, 'in'), subjects);
    const lines = readFileSync(tsv, 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/\t(\d+)\t([MF])\t/, '\tforty\t$2\t');
    writeFileSync(tsv, lines.join('\n'));
    const outcome = await run(writeJob(join(dir, 'in'), 'bad-demo', { contrasts: ['DRE-HC'] }), join(dir, 'out'));
    expectFailedJob(outcome, join(dir, 'out', 'bad-demo'), 'PartlyNumericColumn', { input: 'age', message: /row 3/ });
  });
});

describe('bundled atlas in a job', () => {
  it('labels cluster regions with AAL when the maps are on the MNI 3 mm grid and no atlas is given', async () => {
    const dir = tmpDir('nb-glm-cohort-aal-');
    const inD = join(dir, 'in');
    mkdirSync(join(inD, 'maps'), { recursive: true });
    const g = BUNDLED_GRIDS['3mm'];
    const N = g.dims[0] * g.dims[1] * g.dims[2];
    // an effect in a 3-voxel-radius ball around voxel (40, 40, 30) in group A; 4 subjects per group
    const ids: string[] = [];
    const lines = ['participant_id\tgroup\tmap'];
    for (let s = 0; s < 8; s++) {
      const rng = stream(7, s);
      const data = new Float32Array(N);
      for (let k = 0; k < g.dims[2]; k++)
        for (let j = 0; j < g.dims[1]; j++)
          for (let i = 0; i < g.dims[0]; i++) {
            const inBall = (i - 40) ** 2 + (j - 40) ** 2 + (k - 30) ** 2 <= 9;
            data[i + g.dims[0] * (j + g.dims[1] * k)] = 1 + (s < 4 && inBall ? 1 : 0) + 0.05 * rng.normal();
          }
      const id = `sub-${s}`;
      ids.push(id);
      writeFileSync(join(inD, 'maps', `${id}.nii.gz`), writeNifti({ dims: g.dims, affine: g.affine, pixdim: [3, 3, 3], data }, { datatype: 'float32' }));
      lines.push(`${id}\t${s < 4 ? 'A' : 'B'}\tmaps/${id}.nii.gz`);
    }
    writeFileSync(join(inD, 'participants.tsv'), lines.join('\n') + '\n');
    const outcome = await run(writeJob(inD, 'aal', { contrasts: ['A-B'], smoothFwhmMm: 6 }), join(dir, 'out'));
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    const out = join(dir, 'out', 'aal');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.clusterAtlas).toMatch(/AAL/);
    const c = result.contrasts['A-B'];
    expect(c.clusters.length).toBeGreaterThan(0);
    const atlas = regionAtlas(glmParamsSchema.parse({ contrasts: ['A-B'] }), g.dims, g.affine)!;
    const z = map(out, 'maps/A-B_z.nii.gz');
    const t = map(out, 'maps/A-B_t.nii.gz');
    const all = (['+', '-'] as const).flatMap((tail) => findClusters(z, g.dims, c.zThreshold, tail, 26, c.clusterSizeThreshold, undefined, true).map((k) => ({ c: k, tail })));
    all.sort((a, b) => b.c.voxels - a.c.voxels || Math.abs(b.c.peakValue) - Math.abs(a.c.peakValue) || a.c.peakIndex - b.c.peakIndex);
    const rows = clusterRegions(t, g.dims, g.affine, all.map((x, i) => ({ ...x.c, id: i + 1, tail: x.tail })), atlas.labels, atlas.table);
    expect(rows.some((r) => r.region !== '')).toBe(true);
    expect(readFileSync(join(out, 'tables/A-B_cluster_regions.csv'), 'utf8')).toBe(clusterRegionsCsv(rows, 't'));
    // the cluster table's peak label is the bundled atlas's name at the peak voxel
    const peaks = readFileSync(join(out, 'tables/A-B_clusters.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(peaks.length).toBe(all.length);
    peaks.forEach((f, i) => expect(f[9]).toBe(atlas.table.get(Number(atlas.labels[all[i]!.c.peakIndex])) ?? ''));

    // a user's atlas on another grid (4 mm, shifted) is accepted and resampled for the region tables
    const ug = { dims: [46, 55, 46], affine: Float64Array.from([4, 0, 0, -91, 0, 4, 0, -127, 0, 0, 4, -73, 0, 0, 0, 1]) };
    const ul = new Float32Array(ug.dims[0]! * ug.dims[1]! * ug.dims[2]!);
    for (let k = 0; k < ug.dims[2]!; k++) for (let j = 0; j < ug.dims[1]!; j++) for (let i = 0; i < ug.dims[0]!; i++) ul[i + ug.dims[0]! * (j + ug.dims[1]! * k)] = 1 + (i % 3) + 3 * (k % 2);
    writeFileSync(join(inD, 'user_atlas.nii.gz'), writeNifti({ dims: ug.dims, affine: ug.affine, pixdim: [4, 4, 4], data: ul }, { datatype: 'float32' }));
    writeFileSync(join(inD, 'user_labels.tsv'), ['index\tname', ...[1, 2, 3, 4, 5, 6].map((x) => `${x}\tregion_${x}`)].join('\n') + '\n');
    const u = await run(writeJob(inD, 'user', { contrasts: ['A-B'], smoothFwhmMm: 6 }, { atlas: 'user_atlas.nii.gz', atlasLabels: 'user_labels.tsv' }), join(dir, 'out'));
    expect(u.status, JSON.stringify(u)).toBe('succeeded');
    const uOut = join(dir, 'out', 'user');
    const ua = regionAtlas(glmParamsSchema.parse({ contrasts: ['A-B'] }), g.dims, g.affine, { labels: ul, table: new Map([1, 2, 3, 4, 5, 6].map((x) => [x, `region_${x}`])), grid: ug })!;
    expect(ua.resampled).toBe(true);
    const uRows = clusterRegions(t, g.dims, g.affine, all.map((x, i) => ({ ...x.c, id: i + 1, tail: x.tail })), ua.labels, ua.table);
    expect(uRows.some((r) => /^region_/.test(r.region))).toBe(true);
    expect(readFileSync(join(uOut, 'tables/A-B_cluster_regions.csv'), 'utf8')).toBe(clusterRegionsCsv(uRows, 't'));
  }, 600_000);
});

/**
 * Independent nearest-neighbour twin: each target voxel centre to mm by the target affine, to
 * source voxel coordinates by solving the source affine's 3 × 3 system with Cramer's rule,
 * rounded half up (an exact half goes to the higher index), looked up in the source labels.
 */
function nearestTwin(labels: ArrayLike<number>, src: { dims: readonly number[]; affine: ArrayLike<number> }, tg: { dims: readonly number[]; affine: ArrayLike<number> }): Int32Array {
  const a = src.affine;
  const M = [[a[0]!, a[1]!, a[2]!], [a[4]!, a[5]!, a[6]!], [a[8]!, a[9]!, a[10]!]];
  const det3 = (m: number[][]) => m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const D = det3(M);
  const [tx, ty, tz] = tg.dims as [number, number, number];
  const [sx, sy, sz] = src.dims as [number, number, number];
  const t = tg.affine;
  const out = new Int32Array(tx * ty * tz);
  for (let k = 0; k < tz; k++)
    for (let j = 0; j < ty; j++)
      for (let i = 0; i < tx; i++) {
        const mm = [0, 1, 2].map((r) => t[r * 4]! * i + t[r * 4 + 1]! * j + t[r * 4 + 2]! * k + t[r * 4 + 3]! - a[r * 4 + 3]!);
        const v = [0, 1, 2].map((c) => det3(M.map((row, r) => row.map((x, cc) => (cc === c ? mm[r]! : x)))) / D);
        const [si, sj, sk] = v.map((x) => Math.floor(x + 0.5 + 1e-6)) as [number, number, number];
        const inside = si >= 0 && sj >= 0 && sk >= 0 && si < sx && sj < sy && sk < sz;
        out[i + tx * (j + ty * k)] = inside ? Math.round(labels[si + sx * (sj + sy * sk)]!) : 0;
      }
  return out;
}

describe('bundled atlas for the cluster region tables', () => {
  const params = glmParamsSchema.parse({ contrasts: ['A-B'] });
  it('uses AAL on a bundled MNI grid when no atlas is given', () => {
    const g = BUNDLED_GRIDS['3mm'];
    const a = regionAtlas(params, g.dims, g.affine)!;
    expect(a.source).toMatch(/AAL/);
    expect(a.resampled).toBe(false);
    expect(a.table.get(1)).toBeTruthy();
    expect(a.labels.length).toBe(g.dims[0] * g.dims[1] * g.dims[2]);
  });
  it('by default applies none on another grid unless the data declare MNI space', () => {
    expect(regionAtlas(params, DIMS, AFFINE)).toBeNull();
    expect(regionAtlas(params, DIMS, AFFINE, undefined, { mni: false })).toBeNull();
    expect(regionAtlas({ ...params, atlas: 'none' }, DIMS, AFFINE, undefined, { mni: true })).toBeNull();
    expect(declaresMni({ sformCode: 4, qformCode: 0 })).toBe(true);
    expect(declaresMni({ sformCode: 2, qformCode: 1 })).toBe(false);
  });

  // the synthetic cohort's 3 mm grid (exact half-voxel positions on the 2 mm atlas), an oblique
  // 2.5 mm grid, and a 1 mm crop of the MNI grid
  const c = Math.cos(0.2);
  const s = Math.sin(0.2);
  const grids: [string, readonly number[], Float64Array][] = [
    ['synthetic 3 mm', DIMS, AFFINE],
    ['oblique 2.5 mm', [30, 34, 28], Float64Array.from([-2.5 * c, -2.5 * s, 0, 37.3, 2.5 * s, 2.5 * c, 0, -60.7, 0, 0, 2.5, -30.2, 0, 0, 0, 1])],
    ['1 mm crop', [40, 36, 30], Float64Array.from([-1, 0, 0, 20, 0, 1, 0, -60, 0, 0, 1, -20, 0, 0, 0, 1])],
  ];
  for (const [what, dims, affine] of grids) {
    it(`AAL and Brainnetome resampled onto the ${what} grid equal a direct nearest-neighbour lookup of each voxel centre`, () => {
      for (const name of ['aal', 'brainnetome'] as const) {
        const src = loadBundledAtlas(name, '2mm');
        const want = nearestTwin(src.labels, src, { dims, affine });
        // explicit and default (MNI declared) give the same resampled atlas
        for (const a of [regionAtlas({ ...params, atlas: name }, dims, affine)!, ...(name === 'aal' ? [regionAtlas(params, dims, affine, undefined, { mni: true })!] : [])]) {
          expect(a.resampled).toBe(true);
          expect(a.source).toMatch(/resampled from 2 mm by nearest neighbour/);
          expect(Array.from(a.labels)).toEqual(Array.from(want));
        }
        expect(want.some((l) => l !== 0)).toBe(true);
      }
    });
  }
  it('a user atlas on another grid (1.5 mm) is resampled onto the data grid; on the data grid it is used as is', () => {
    const ug = { dims: [26, 26, 20], affine: Float64Array.from([1.5, 0, 0, -19.6, 0, 1.5, 0, -19.1, 0, 0, 1.5, -13.7, 0, 0, 0, 1]) };
    const labels = new Float32Array(26 * 26 * 20);
    for (let v = 0; v < labels.length; v++) labels[v] = 1 + ((v * 7919) % 5);
    const table = new Map([[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd'], [5, 'e']]);
    const a = regionAtlas(params, DIMS, AFFINE, { labels, table, grid: ug })!;
    expect(a.resampled).toBe(true);
    expect(a.source).toMatch(/^inputs\.atlas, resampled/);
    expect(Array.from(a.labels)).toEqual(Array.from(nearestTwin(labels, ug, { dims: DIMS, affine: AFFINE })));
    const same = regionAtlas(params, DIMS, AFFINE, { labels: makeAtlas(), table, grid: { dims: DIMS, affine: AFFINE } })!;
    expect(same).toMatchObject({ resampled: false, source: 'inputs.atlas' });
    expect(same.labels).toEqual(makeAtlas());
  });
  it('refuses an atlas whose grid shares no voxel with the data (NoGridOverlap naming the field)', () => {
    const far = Float64Array.from(AFFINE);
    far[3] = 1000;
    expectNamed(() => regionAtlas({ ...params, atlas: 'aal' }, DIMS, far), 'NoGridOverlap', { input: 'params.atlas', message: /shares no voxel/ });
    expectNamed(() => regionAtlas(params, DIMS, far, undefined, { mni: true }), 'NoGridOverlap', { input: 'params.atlas' });
    expectNamed(() => regionAtlas(params, DIMS, AFFINE, { labels: makeAtlas(), grid: { dims: DIMS, affine: far } }), 'NoGridOverlap', { input: 'inputs.atlas' });
  });
});
