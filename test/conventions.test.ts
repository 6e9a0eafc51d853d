/**
 * Output conventions of every pipeline's result folder (glm, ale, reho, netmap run by the
 * embedded runner): report.html built by the report library with the pipeline's extras (null
 * histograms holding every permutation / Monte-Carlo maximum, the design matrix's rows, FD
 * traces), a BIDS-derivatives dataset_description.json, a JSON sidecar per map, NIfTI intent
 * codes (t with its DOF, z, p) read back, sform/qform codes copied from the inputs, BIDS
 * participant_ids used as given (sub-01 → sub-01_reho.nii.gz) and cluster tables as TSV.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti, readNiftiHeader, writeNifti } from '../shared/nifti/index.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { finishJob, outputWriter } from '../shared/pipelines/common/finish.ts';
import { sidecar } from '../shared/pipelines/common/outputs.ts';
import { FIXTURES, VBM, vbmJob } from './helpers/fixture-job.ts';

type Pipeline = 'glm' | 'ale' | 'reho' | 'netmap';
let base = '';
const dirs = {} as Record<Pipeline, string>;
const results = {} as Record<Pipeline, any>;

function writeJob(dir: string, job: object): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'job.json'), JSON.stringify(job, null, 2));
  return join(dir, 'job.json');
}

async function run(p: Pipeline, jobPath: string, jobId: string): Promise<void> {
  const out = join(base, 'out');
  const outcome = await runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: p, outDir: out, threads: 2 });
  if (outcome.status !== 'succeeded') throw new Error(`${p}: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : 'did not succeed'}`);
  dirs[p] = join(out, jobId);
  results[p] = JSON.parse(readFileSync(join(dirs[p], 'result.json'), 'utf8'));
}

const header = (p: Pipeline, rel: string) => readNiftiHeader(readFileSync(join(dirs[p], rel)), rel);
const html = (p: Pipeline) => readFileSync(join(dirs[p], 'report.html'), 'utf8');
/** The SVG of one plot of a report. */
const plotSvg = (page: string, id: string) => page.match(new RegExp(`<svg [^>]*id="${id}"[\\s\\S]*?</svg>`))?.[0] ?? '';
const barCounts = (svg: string) => [...svg.matchAll(/<rect class="bar" data-count="(\d+)"/g)].reduce((a, m) => a + Number(m[1]), 0);

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'nb-conventions-'));
  await run('glm', vbmJob(join(base, 'glm'), { jobId: 'glm-conv', params: { inference: { grf: { voxelP: 0.01 }, permutation: { n: 40, statistics: ['maxT', 'clusterExtent'] } } } }), 'glm-conv');
  await run('ale', writeJob(join(base, 'ale'), { jobId: 'ale-conv', pipeline: 'ale', seed: 5, inputs: { coordinates: join(FIXTURES, 'ale', 'nidm_pain_dset.json') }, params: { iterations: 25 } }), 'ale-conv');
  // reho: a BIDS id and a bare label; the func copied with sform_code 2 (aligned) and qform_code 1 (scanner)
  const rd = join(base, 'reho');
  mkdirSync(rd, { recursive: true });
  const f = readNifti(readFileSync(join(VBM, 'reho_func4d.nii.gz')), 'func');
  writeFileSync(join(rd, 'func.nii.gz'), writeNifti({ dims: f.header.dims, affine: f.header.affine, pixdim: f.header.pixdim, tr: f.header.tr, data: f.data }, { sformCode: 2, qformCode: 1 }));
  writeFileSync(join(rd, 'participants.tsv'), `participant_id\tfunc\tconfounds\nsub-01\tfunc.nii.gz\t${join(VBM, 'motion_rp.txt')}\n02\tfunc.nii.gz\t${join(VBM, 'motion_rp.txt')}\n`);
  await run('reho', writeJob(rd, { jobId: 'reho-conv', pipeline: 'reho', inputs: { participants: 'participants.tsv', mask: join(VBM, 'reho_mask.nii.gz') }, params: { preprocess: { wmCsf: false, spikes: false }, fdThreshold: 0.5 } }), 'reho-conv');
  const demo = demoConnectome(3, 16, 50);
  const cb = join(base, 'connectome');
  const g = demo.manifest.grid;
  await writeConnectome(new LocalStore(cb), '', demo.manifest, writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8', sformCode: 2, qformCode: 1 }), (s) => demo.runs[s]!);
  const nd = join(base, 'netmap');
  mkdirSync(nd, { recursive: true });
  writeFileSync(join(nd, 'seeds.csv'), ['study,x,y,z', 'thal,-12,-18,6', 'cereb,30,-66,-30', 'occip,-24,-90,6'].join('\n') + '\n');
  await run('netmap', writeJob(nd, { jobId: 'netmap-conv', pipeline: 'netmap', inputs: { connectome: join(cb, 'connectome.json'), seeds: 'seeds.csv' }, params: { threshold: 4, sphereDiameterMm: 12 } }), 'netmap-conv');
}, 400_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('every result folder', () => {
  for (const p of ['glm', 'ale', 'reho', 'netmap'] as const) {
    it(`${p}: report.html from the report library, dataset_description.json, a sidecar per map, all listed in result.json`, () => {
      const r = results[p];
      const page = html(p);
      expect(page).toContain('id="nb-viewer-config"');
      expect(page.length).toBeGreaterThan(1e5);
      // the stage's methods text, as the report escapes it
      const esc = (x: string) => x.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
      expect(r.methods.length).toBeGreaterThan(100);
      expect(page).toContain(`<p class="methods">${esc(r.methods)}</p>`);
      const dd = JSON.parse(readFileSync(join(dirs[p], 'dataset_description.json'), 'utf8'));
      expect(dd).toMatchObject({ DatasetType: 'derivative', BIDSVersion: expect.any(String), GeneratedBy: [expect.objectContaining({ Name: 'neuroburst' })] });
      expect(dd.Name).toContain(r.jobId);
      const maps = r.outputs.filter((f: string) => /^maps\/.*\.nii\.gz$/.test(f));
      expect(maps.length).toBeGreaterThan(0);
      for (const m of maps) {
        const sc = m.replace(/\.nii\.gz$/, '.json');
        expect(r.outputs, sc).toContain(sc);
        const j = JSON.parse(readFileSync(join(dirs[p], sc), 'utf8'));
        expect(j.Description, sc).toEqual(expect.any(String));
        expect(j.Units, sc).toEqual(expect.any(String));
        expect(j.MapType, sc).toEqual(expect.any(String));
      }
      expect(r.outputs.slice(0, 2)).toEqual(['job.json', 'dataset_description.json']);
      expect(r.outputs.slice(-2)).toEqual(['report.html', 'result.json']);
      for (const f of r.outputs) expect(existsSync(join(dirs[p], f)), f).toBe(true);
    });
  }
});

describe('glm', () => {
  it('t maps carry NIFTI_INTENT_TTEST with the contrast DOF, z ZSCORE, p PVAL; space codes of the inputs', () => {
    const c = results.glm.contrasts['G1-G2'];
    const t = header('glm', 'maps/G1-G2_t.nii.gz');
    expect(t.intent).toMatchObject({ code: 3, p1: c.dof });
    expect(c.dof).toBe(24 - 3);
    expect(header('glm', 'maps/G1-G2_z.nii.gz').intent?.code).toBe(5);
    expect(header('glm', 'maps/G1-G2_p.nii.gz').intent?.code).toBe(22);
    expect(header('glm', 'maps/G1-G2_grf.nii.gz').intent?.code ?? 0).toBe(0);
    const input = readNiftiHeader(readFileSync(join(VBM, 'vbm_gm_sub01.nii.gz')), 'input');
    expect([t.sformCode, t.qformCode]).toEqual([input.sformCode, input.qformCode]);
    const sc = JSON.parse(readFileSync(join(dirs.glm, 'maps/G1-G2_t.json'), 'utf8'));
    expect(sc).toMatchObject({ MapType: 't', DegreesOfFreedom: c.dof, Contrast: { Name: 'G1-G2', Columns: c.columns, Weights: c.contrast } });
    const z = JSON.parse(readFileSync(join(dirs.glm, 'maps/G1-G2_z.json'), 'utf8'));
    expect(z.Thresholds).toMatchObject({ clusterFormingZ: Number(c.zThreshold.toFixed(6)), minClusterVoxels: c.clusterSizeThreshold });
  });

  it('cluster tables also as TSV with BIDS-style columns, the same rows as the CSV', () => {
    const csv = readFileSync(join(dirs.glm, 'tables/G1-G2_clusters.csv'), 'utf8').trim().split('\n');
    const tsv = readFileSync(join(dirs.glm, 'tables/G1-G2_clusters.tsv'), 'utf8').trim().split('\n');
    expect(tsv[0]!.split('\t')).toEqual(['cluster_id', 'tail', 'size_voxels', 'volume_mm3', 'peak_t', 'peak_zstat', 'peak_x_mm', 'peak_y_mm', 'peak_z_mm', 'label']);
    expect(tsv).toHaveLength(csv.length);
    expect(tsv.length - 1).toBe(results.glm.contrasts['G1-G2'].clusters.length);
    tsv.slice(1).forEach((l, i) => expect(l.split('\t').slice(0, 9).map(Number)).toEqual(csv[i + 1]!.split(',').slice(0, 9).map((x, k) => (k === 1 ? NaN : Number(x)))));
  });

  it('the report shows every permutation maximum in the null histograms and the design rows of each subject', () => {
    const page = html('glm');
    const q = results.glm.contrasts['G1-G2'].permutation;
    for (const stat of ['maxT', 'clusterExtent']) expect(barCounts(plotSvg(page, `G1-G2_null_${stat}`)), stat).toBe(q.permutations);
    const design = plotSvg(page, 'G1-G2_design');
    const rows = readFileSync(join(base, 'glm', 'participants.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const g1 = rows.filter((r) => r[1] === 'G1');
    expect(g1.length).toBeGreaterThan(0);
    for (const r of g1) expect(design).toContain(`${r[0]} · G1 = 1</title>`);
    expect([...design.matchAll(/ · G1 = 1<\/title>/g)]).toHaveLength(g1.length);
  });
});

describe('ale', () => {
  it('p map PVAL, z map ZSCORE; the Monte-Carlo null histograms hold every iteration; clusters TSV', () => {
    expect(header('ale', 'maps/p.nii.gz').intent?.code).toBe(22);
    expect(header('ale', 'maps/z.nii.gz').intent?.code).toBe(5);
    expect(header('ale', 'maps/ale.nii.gz').intent?.code ?? 0).toBe(0);
    const page = html('ale');
    expect(barCounts(plotSvg(page, 'null_max_ale'))).toBe(25);
    const tsv = readFileSync(join(dirs.ale, 'tables/clusters.tsv'), 'utf8').trim().split('\n');
    expect(tsv[0]!.split('\t').slice(0, 11)).toEqual(['cluster_id', 'size_voxels', 'volume_mm3', 'peak_ale', 'peak_x_mm', 'peak_y_mm', 'peak_z_mm', 'mass', 'p_fwe_size', 'p_fwe_mass', 'label']);
    expect(tsv.length - 1).toBe(results.ale.clusters.length);
  });
});

describe('reho', () => {
  it('BIDS participant_ids used as given (sub-01 → sub-01_reho.nii.gz), bare labels get sub-; space codes of the func', () => {
    const outs: string[] = results.reho.outputs;
    expect(outs).toEqual(expect.arrayContaining(['maps/sub-01_reho.nii.gz', 'maps/sub-01_szreho.nii.gz', 'maps/sub-02_reho.nii.gz']));
    expect(outs.filter((f) => f.includes('sub-sub-'))).toEqual([]);
    const h = header('reho', 'maps/sub-01_szreho.nii.gz');
    expect([h.sformCode, h.qformCode]).toEqual([2, 1]);
    expect(JSON.parse(readFileSync(join(dirs.reho, 'maps/sub-01_szreho.json'), 'utf8')).MapType).toBe('reho');
  });

  it('the report draws each subject\'s FD trace over every kept volume', () => {
    const svg = plotSvg(html('reho'), 'fd_traces');
    const lines = [...svg.matchAll(/<polyline class="trace[^"]*" data-label="([^"]+)" points="([^"]*)"/g)];
    expect(lines.map((m) => m[1])).toEqual(['sub-01', '02']);
    const T = results.reho.subjects[0].volumesUsed;
    expect(T).toBeGreaterThan(50);
    for (const m of lines) expect(m[2]!.trim().split(' ')).toHaveLength(T);
  });
});

describe('netmap', () => {
  it('study t maps carry NIFTI_INTENT_TTEST with the connectome DOF; the overlap map has no intent', () => {
    const r = results.netmap;
    const t = header('netmap', `maps/${r.studies[0].study}_t.nii.gz`);
    expect(t.intent).toMatchObject({ code: 3, p1: r.dof });
    expect(r.dof).toBe(r.connectome.subjects - 1);
    expect(header('netmap', 'maps/overlap.nii.gz').intent?.code ?? 0).toBe(0);
    expect(JSON.parse(readFileSync(join(dirs.netmap, 'maps/overlap.json'), 'utf8')).MapType).toBe('overlap');
  });

  it('maps keep the sform/qform codes of the connectome mask (written 2 aligned / 1 scanner), not the default MNI 4', () => {
    const r = results.netmap;
    const mask = readNiftiHeader(readFileSync(join(base, 'connectome', 'mask.nii.gz')), 'mask');
    expect([mask.sformCode, mask.qformCode]).toEqual([2, 1]);
    for (const rel of [`maps/${r.studies[0].study}_t.nii.gz`, 'maps/overlap.nii.gz', 'maps/overlap_positive.nii.gz']) {
      const h = header('netmap', rel);
      expect([h.sformCode, h.qformCode], rel).toEqual([2, 1]);
      expect(Array.from(h.affine), rel).toEqual(Array.from(mask.affine));
    }
  });
});

describe('finishJob for a pipeline without a describer (e.g. a new one)', () => {
  it('writes a generic library report from maps/ and tables/ (a TSV twin shown once), sidecars for maps written elsewhere, intents from the declared kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-finish-'));
    try {
      const store = new LocalStore(dir);
      const env = { store, layout: { work: (id: string, ...p: (string | number)[]) => ['.work/' + id, ...p].join('/'), results: (id: string, ...p: (string | number)[]) => [id, ...p].join('/') } };
      await store.put('tx1/job.json', JSON.stringify({ jobId: 'tx1', pipeline: 'tx', seed: 1, inputs: { genes: 'genes.csv' }, params: { k: 3 } }));
      const grid = { dims: [6, 5, 4], affine: [2, 0, 0, -6, 0, 2, 0, -5, 0, 0, 2, -4, 0, 0, 0, 1], pixdim: [2, 2, 2] };
      const data = Float32Array.from({ length: 120 }, (_, i) => (i % 7) - 3);
      const w = outputWriter(env, 'tx1', { grid, space: { sformCode: 2, qformCode: 0 } });
      await w.putMap('maps/effect_t.nii.gz', data, { kind: 't', dof: 17, description: 'effect t', contrast: { name: 'effect' } });
      await w.putMap('maps/effect_z.nii.gz', data, { kind: 'z', description: 'effect z' });
      // written by another stage, without a sidecar
      await store.put('tx1/maps/extra_p.nii.gz', writeNifti({ dims: grid.dims, affine: Float64Array.from(grid.affine), data }, { description: 'extra p' }));
      await w.putTable('tables/peaks', [['rank', 'rank'], ['x', 'peak_x_mm'], ['y', 'peak_y_mm'], ['z', 'peak_z_mm'], ['note', 'note']], [[1, -4, 3, 2, ''], [2, 0, -1, 0, 'b']]);
      const result = { pipeline: 'tx', jobId: 'tx1', specHash: 'abc', methods: 'Generic methods text.', outputs: [] as string[] };
      await finishJob(env, 'tx1', result, ['job.json', ...w.outputs, 'maps/extra_p.nii.gz', 'result.json']);
      const read = (f: string) => readFileSync(join(dir, 'tx1', f));
      expect(result.outputs[0]).toBe('job.json');
      expect(result.outputs.slice(-2)).toEqual(['report.html', 'result.json']);
      expect(result.outputs).toEqual(expect.arrayContaining(['dataset_description.json', 'maps/effect_t.json', 'maps/effect_z.json', 'maps/extra_p.json', 'tables/peaks.csv', 'tables/peaks.tsv']));
      const t = readNiftiHeader(read('maps/effect_t.nii.gz'), 't');
      expect(t.intent).toMatchObject({ code: 3, p1: 17 });
      expect([t.sformCode, t.qformCode]).toEqual([2, 0]);
      expect(readNiftiHeader(read('maps/effect_z.nii.gz'), 'z').intent?.code).toBe(5);
      expect(JSON.parse(read('maps/effect_t.json').toString())).toEqual(sidecar({ kind: 't', dof: 17, description: 'effect t', contrast: { name: 'effect' } }));
      expect(JSON.parse(read('maps/extra_p.json').toString())).toMatchObject({ Description: 'extra p', MapType: 'p', Units: 'p value' });
      expect(read('tables/peaks.tsv').toString()).toBe('rank\tpeak_x_mm\tpeak_y_mm\tpeak_z_mm\tnote\n1\t-4\t3\t2\tn/a\n2\t0\t-1\t0\tb\n');
      expect(read('tables/peaks.csv').toString()).toBe('rank,x,y,z,note\n1,-4,3,2,\n2,0,-1,0,b\n');
      const page = read('report.html').toString();
      expect(page).toContain('id="nb-viewer-config"');
      expect(page).toContain('<p class="methods">Generic methods text.</p>');
      expect(page.match(/<table data-table="/g)).toHaveLength(1);
      expect(JSON.parse(read('result.json').toString()).outputs).toEqual(result.outputs);
      expect(JSON.parse(read('dataset_description.json').toString())).toMatchObject({ DatasetType: 'derivative', SourceDatasets: [{ URL: 'genes.csv' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
