/**
 * Report builder pieces against straightforward twins: histogram counts, ticks, display
 * thresholds, −log10 p, the slice renderer's orientation and colours (a planted voxel lands on
 * the pixel computed by hand from its MNI mm), and the HTML's self-containment.
 */
import { decode } from 'fast-png';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers/tmp.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { absQuantile, colourOf, displayFor, negLog10P } from '../shared/report/display.ts';
import { renderReport } from '../shared/report/html.ts';
import { brainBox, mosaic, renderSlice, sampler } from '../shared/report/mosaic.ts';
import { genericTable, parseDelimited, splitLine } from '../shared/report/source.ts';
import { histogram, niceTicks, nullPlotSvg, tracePlotSvg } from '../shared/report/svg.ts';
import { kindFromName, loadReportAssets } from '../shared/report/index.ts';
import type { ReportDescription } from '../shared/report/index.ts';

// a 2 mm grid 20×24×18, x step −2 as SPM/ICBM files store it, voxel 0 at (+18, −24, −16)
const dims = [20, 24, 18];
const affine = Float64Array.from([-2, 0, 0, 18, 0, 2, 0, -24, 0, 0, 2, -16, 0, 0, 0, 1]);
const n = dims[0]! * dims[1]! * dims[2]!;
const idx = (i: number, j: number, k: number) => i + dims[0]! * (j + dims[1]! * k);
const mmOf = (i: number, j: number, k: number) => [18 - 2 * i, -24 + 2 * j, -16 + 2 * k];
const template = { dims, affine, data: Float32Array.from({ length: n }, (_, v) => 10 + (v % 7)) };

describe('plot helpers', () => {
  it('histogram counts equal a per-bin count by hand', () => {
    const vals = Array.from({ length: 500 }, (_, i) => Math.sin(i * 12.9898) * 3);
    const [lo, hi, bins] = [-3, 3, 12];
    const got = histogram(vals, bins, lo, hi);
    const w = (hi - lo) / bins;
    const want = Array.from({ length: bins }, (_, b) => vals.filter((v) => v >= lo + b * w && (b === bins - 1 ? v <= hi : v < lo + (b + 1) * w)).length);
    expect(got).toEqual(want);
    expect(got.reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('nice ticks are 1/2/5 steps inside the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(4.13, 5.02)).toEqual([4.2, 4.4, 4.6, 4.8, 5]);
    expect(niceTicks(0, 117, 4)).toEqual([0, 50, 100]);
  });

  it('null plot draws one bar per bin with its count and a line per marker', () => {
    const values = [1, 1, 2, 2, 2, 3, 9];
    const svg = nullPlotSvg({ type: 'null', id: 'n', title: 't', xLabel: 'x', values, observed: [{ label: 'observed', value: 8 }], thresholds: [{ label: '95th', value: 3 }] });
    const counts = [...svg.matchAll(/data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(svg.match(/<line class="observed"/g)).toHaveLength(1);
    expect(svg.match(/<line class="threshold"/g)).toHaveLength(1);
    // a typed array (as the permutation and Monte-Carlo code keep nulls) draws the same plot
    expect(nullPlotSvg({ type: 'null', id: 'n', title: 't', xLabel: 'x', values: Float64Array.from(values), observed: [{ label: 'observed', value: 8 }], thresholds: [{ label: '95th', value: 3 }] })).toBe(svg);
    // without values: markers only, no bars
    const bare = nullPlotSvg({ type: 'null', id: 'm', title: 't', xLabel: 'x', thresholds: [{ label: '95th', value: 3 }], observed: [{ label: 'obs', value: 4 }] });
    expect(bare).not.toMatch(/data-count/);
    expect(bare).toMatch(/<line class="observed"/);
  });

  it('traces: one polyline per series, excluded marked, values clipped to the included range', () => {
    const svg = tracePlotSvg({ type: 'traces', id: 'fd', title: 'FD', xLabel: 'v', yLabel: 'mm', series: [{ label: 'a', values: [0, 0.1, 0.2] }, { label: 'b', values: [0, 50, 2], excluded: true }], thresholds: [{ label: 'spike', value: 0.5 }] });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg.match(/class="trace excluded"/g)).toHaveLength(1);
    const ys = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1])));
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(12); // the frame's top
  });

  it('CSV splitting honours quotes', () => {
    expect(splitLine('a,"b,c","d ""e"""', ',')).toEqual(['a', 'b,c', 'd "e"']);
    expect(parseDelimited('x\ty\n1\t2\n').rows).toEqual([['1', '2']]);
    const t = genericTable('p', 'peaks', 'tables/p.csv', 'rank,overlap,x,y,z,label\n1,0.5,15,-63,-42,\n', 'overlap');
    expect(t.rows[0]!.peakMm).toEqual([15, -63, -42]);
    expect(t.rows[0]!.map).toBe('overlap');
  });
});

describe('display settings', () => {
  it('absQuantile equals the interpolated quantile of the sorted non-zero |values|', () => {
    const v = [0, -4, 1, 3, 0, -2, 5];
    const s = [1, 2, 3, 4, 5];
    expect(absQuantile(v, 0)).toBe(1);
    expect(absQuantile(v, 1)).toBe(5);
    expect(absQuantile(v, 0.5)).toBe(s[2]);
    expect(absQuantile(v, 0.9)).toBeCloseTo(4 + 0.6, 12);
  });

  it('p maps are shown as −log10 p from the given p threshold', () => {
    expect(Array.from(negLog10P([0, 1, 0.001, 0.5]))).toEqual([0, 0, Math.fround(3), Math.fround(-Math.log10(0.5))]);
    const d = displayFor('p', negLog10P([0.01, 0.0001]), 0.001);
    expect(d.min).toBeCloseTo(3, 12);
    expect(d.negLog10).toBe(true);
  });

  it('signed maps colour both tails above the threshold, nothing below it', () => {
    const d = displayFor('z', [-5, 0, 4], 3.1);
    expect(d.signed).toBe(true);
    expect(d.max).toBe(5);
    expect(colourOf(d, 3)).toBeNull();
    expect(colourOf(d, 3.2)).not.toBeNull();
    expect(colourOf(d, -3.2)).not.toBeNull();
    expect(colourOf(d, -3.2)).not.toEqual(colourOf(d, 3.2));
    // positive-only maps have no negative colour map
    expect(displayFor('cluster', [0, 3, 4], 2).colormapNegative).toBeUndefined();
    expect(displayFor('oneMinusP', [0.99]).min).toBe(0.95);
  });

  it('guesses kinds from file names', () => {
    expect(['maps/A-B_t.nii.gz', 'maps/A-B_z.nii.gz', 'maps/A-B_p.nii.gz', 'maps/A-B_tfce_fwep.nii.gz', 'maps/cfwe_0.05_z.nii.gz', 'maps/voxel_fwe_logp.nii.gz', 'maps/overlap.nii.gz', 'maps/ale.nii.gz'].map(kindFromName)).toEqual(['t', 'z', 'p', 'oneMinusP', 'cluster', 'logp', 'overlap', 'ale']);
  });
});

describe('slice images', () => {
  const mapData = new Float32Array(n);
  // planted voxel in the right hemisphere (x = +10), anterior (y = +6), z = 0
  const [pi, pj, pk] = [4, 15, 8];
  mapData[idx(pi, pj, pk)] = 5;
  const map = { dims, affine, data: mapData };
  const d = displayFor('z', mapData, 3);

  it('samples by affine: the sampler returns the value stored at the mm of each voxel', () => {
    const s = sampler(template);
    for (const [i, j, k] of [[0, 0, 0], [7, 3, 11], [19, 23, 17]] as const) expect(s(...(mmOf(i, j, k) as [number, number, number]))).toBe(template.data[idx(i, j, k)]);
    expect(s(100, 0, 0)).toBeNaN();
  });

  it('axial slice: the planted voxel is on the pixel computed from its mm (left hemisphere on the left, anterior up)', () => {
    const box = { min: [-20, -24, -16] as [number, number, number], max: [18, 22, 18] as [number, number, number] };
    const im = renderSlice('axial', 0, sampler(template), sampler(map), d, { box, stepMm: 2, scale: 1, grey: [0, 20] });
    expect(im.width).toBe(20);
    expect(im.height).toBe(24);
    const [x, y] = mmOf(pi, pj, pk) as [number, number, number];
    const u = (x - box.min[0]) / 2; // x increases to the right
    const v = (box.max[1] - y) / 2; // y increases upwards
    const px = (r: number, c: number) => Array.from(im.data.subarray((r * im.width + c) * 3, (r * im.width + c) * 3 + 3));
    expect(px(v, u)).toEqual(colourOf(d, 5));
    expect(u).toBeGreaterThan(im.width / 2); // x = +10 is the right hemisphere: right half
    // a background pixel is the template grey: round(255 × value / 20)
    const [bi, bj] = [(18 - (box.min[0] + 2 * 3)) / 2, (-24 + 2 * 20 - -24) / 2];
    const tv = template.data[idx(bi, 20, 8)]!;
    expect(bj).toBe(20);
    expect(px((box.max[1] - (-24 + 40)) / 2, 3)).toEqual([Math.round((255 * tv) / 20), Math.round((255 * tv) / 20), Math.round((255 * tv) / 20)]);
  });

  it('mosaic: a PNG with the overlay colour present, centred on the peak', () => {
    const m = mosaic(template, map, d);
    expect(m.centre).toEqual(mmOf(pi, pj, pk));
    const png = decode(m.png);
    expect(png.channels).toBe(3);
    const want = colourOf(d, 5)!;
    let hits = 0;
    for (let q = 0; q < png.data.length; q += 3) if (png.data[q] === want[0] && png.data[q + 1] === want[1] && png.data[q + 2] === want[2]) hits++;
    // 3× scaled in the three orthogonal views (9 px each) and 2× in the axial row slice through z = 0 if listed
    expect(hits).toBeGreaterThanOrEqual(27);
    expect(brainBox(template, 0).min).toEqual([-20, -24, -16]);
  });
});

describe('renderReport', () => {
  it('writes one self-contained file: maps inlined, rows with peaks, escaped text, no remote reference', async () => {
    const nifti = writeNifti({ dims, affine, data: Float32Array.from({ length: n }, (_, v) => (v === idx(4, 15, 8) ? 5 : v === idx(14, 10, 6) ? -4 : 0)) });
    const desc: ReportDescription = {
      pipeline: 'glm',
      jobId: 'unit<job>',
      summary: ['1 cluster <b>'],
      inputs: [{ name: 'participants', uri: 'p.tsv', sha256: 'ab'.repeat(32), bytes: 10 }],
      parameters: [{ name: 'params.smoothFwhmMm', value: 6, isDefault: false }],
      seed: 7,
      version: '0.0.0',
      maps: [{ id: 'A-B_z', label: 'A-B z', kind: 'z', nifti, file: 'maps/A-B_z.nii.gz', threshold: 3, mosaic: true }],
      tables: [{ id: 'c', title: 'clusters', columns: ['#', 'x'], rows: [{ cells: [1, 10], survives: true, peakMm: [10, 6, 0], map: 'A-B_z' }, { cells: [2, -10], survives: false }] }],
      plots: [{ type: 'bars', id: 'b', title: 'counts', yLabel: 'n', bars: [{ label: 'a', value: 2 }] }],
      methods: 'm & m',
      warnings: ['careful <now>'],
      files: ['maps/A-B_z.nii.gz'],
    };
    const html = renderReport(desc, await loadReportAssets());
    const cfg = JSON.parse(html.match(/<script type="application\/json" id="nb-viewer-config">([^<]*)<\/script>/)![1]!);
    expect(cfg.maps).toHaveLength(1);
    expect(Buffer.from(cfg.maps[0].base64, 'base64').equals(Buffer.from(nifti))).toBe(true);
    expect(readNifti(Buffer.from(cfg.template.base64, 'base64'), 'tpl').header.dims).toEqual([91, 109, 91]);
    expect(cfg.initialMm).toEqual([10, 6, 0]);
    expect(html).toContain('data-peak-mm="10,6,0"');
    expect(html.match(/<tr class="survivor"/g)).toHaveLength(1);
    expect(html).toContain('unit&lt;job&gt;');
    expect(html).toContain('careful &lt;now&gt;');
    expect(html).toContain('1 cluster &lt;b&gt;');
    expect(html).toContain('m &amp; m');
    // nothing is fetched from elsewhere: no src/href to http(s), a CSP that forbids it
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    const img = html.match(/src="data:image\/png;base64,([^"]+)"/)![1]!;
    expect(decode(Buffer.from(img, 'base64')).width).toBeGreaterThan(100);
    // deterministic: the same description gives the same bytes
    expect(renderReport(desc, await loadReportAssets())).toBe(html);
  });
});

describe('cost per stage', () => {
  it('groups metrics by task; the stages add up to the run cost without transitions', async () => {
    const { stagesFromMetrics } = await import('../shared/report/index.ts');
    const { actualCost } = await import('../shared/jobs/cost.ts');
    const metrics = [
      { task: 'plan' as const, billedMs: 300 },
      { task: 'reduce' as const, billedMs: 1200 },
      { task: 'plan' as const, billedMs: 700 },
    ];
    const s = stagesFromMetrics(metrics);
    expect(s.map((x) => [x.stage, x.shards, x.billedSeconds])).toEqual([['plan', 2, 1], ['reduce', 1, 1.2]]);
    expect(s.reduce((a, x) => a + x.usd!, 0)).toBeCloseTo(actualCost(metrics, 0).usd, 15);
  });
});

describe('peak of a map', () => {
  it('is the mm of the largest coloured |value|, by a direct scan', async () => {
    const { peakMm } = await import('../shared/report/mosaic.ts');
    const data = new Float32Array(n);
    data[idx(2, 3, 4)] = -6;
    data[idx(5, 5, 5)] = 4;
    const d = displayFor('z', data, 3);
    expect(peakMm({ dims, affine, data }, d)).toEqual(mmOf(2, 3, 4));
    expect(peakMm({ dims, affine, data: new Float32Array(n) }, d)).toBeUndefined();
  });
});

describe('glm cohort report (Table 1, subgroup analyses, cluster × region rows, deviation maps) of a real job', () => {
  let out = '';
  let inDir = '';
  let result: any;
  let desc: ReportDescription;
  let html = '';
  beforeAll(async () => {
    const { runLocal } = await import('../runner/local.ts');
    const { makeCohort, writeCohort } = await import('./helpers/synthetic-cohort.ts');
    const { describeResultFolder, renderReportHtml } = await import('../shared/report/index.ts');
    const dir = tmpDir('nb-report-cohort-');
    inDir = join(dir, 'in');
    writeCohort(inDir, makeCohort());
    const groups = ['DRE', 'DSE', 'HC'];
    const job = {
      jobId: 'cohort-report',
      pipeline: 'glm',
      inputs: { participants: 'participants.tsv', atlas: 'atlas.nii.gz', atlasLabels: 'atlas.csv' },
      params: {
        groups,
        contrasts: ['DRE-HC', 'DSE-HC'],
        covariates: ['age', { name: 'sex', type: 'categorical' }],
        demographics: { variables: ['age', 'sex', 'duration', 'onset'], mannWhitney: ['duration', 'onset'], fisher: 'auto' },
        minClusterVoxels: 20,
        analyses: [
          { name: 'TLE', filter: { syndrome: 'TLE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC', 'DSE-HC'] },
          { name: 'IGE', filter: { syndrome: 'IGE' }, referenceGroups: ['HC'], contrasts: ['DRE-HC'] },
        ],
        deviation: { reference: 'HC', patients: ['DRE', 'DSE'], filter: { syndrome: 'IGE' }, covariates: ['age'] },
        inference: { grf: { voxelP: 0.001, clusterP: 0.05, twoTailed: true, connectivity: 26 } },
      },
    };
    writeFileSync(join(inDir, 'job.json'), JSON.stringify(job, null, 2));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(inDir, 'job.json')).href, pipeline: 'glm', outDir: join(dir, 'out'), threads: 2 });
    if (outcome.status !== 'succeeded') throw new Error(JSON.stringify(outcome));
    out = join(dir, 'out', 'cohort-report');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    desc = await describeResultFolder(out, { inputsDir: inDir });
    html = await renderReportHtml(desc);
  }, 300_000);

  const csvRows = (rel: string) => readFileSync(join(out, rel), 'utf8').trim().split('\n');

  it('Table 1 is tables/demographics.csv cell for cell, first among the tables', () => {
    const t = desc.tables[0]!;
    expect(t.id).toBe('demographics');
    const lines = csvRows('tables/demographics.csv');
    expect(t.columns).toEqual(splitLine(lines[0]!, ','));
    const pi = t.columns.indexOf('p');
    expect(t.rows.map((r) => r.cells.map(String))).toEqual(lines.slice(1).map((l) => splitLine(l, ',').map((c, i) => (i === pi && c !== '' ? String(Number(c)) : c))));
    expect(t.rows.length).toBeGreaterThan(5);
    // the tests the module chose are stated
    expect(t.rows.map((r) => r.cells[t.columns.indexOf('test')])).toEqual(expect.arrayContaining(['one-way ANOVA', 'Pearson chi-squared']));
    expect(desc.summary.some((s) => s.startsWith('Table 1: 4 variable(s)'))).toBe(true);
    // the summary states the extent the clusters passed: the larger of the GRF k and params.minClusterVoxels
    const c = result.contrasts['DRE-HC'];
    expect(desc.summary[0]).toContain(`≥ ${Math.max(c.clusterSizeThreshold, 20)} voxels`);
  });

  it('one section per analysis with its contrasts, GRF cluster rows as in result.json and cluster × region rows as in its CSV', () => {
    expect(desc.sections!.map((s) => s.id)).toEqual(['analysis-TLE', 'analysis-IGE', 'deviation']);
    let regionRows = 0;
    for (const [name, a] of Object.entries(result.analyses) as [string, any][]) {
      const sec = `analysis-${name}`;
      const list = desc.tables.find((t) => t.id === `${name}__contrasts`)!;
      expect(list.section).toBe(sec);
      expect(list.rows.map((r) => r.cells[0])).toEqual(Object.keys(a.contrasts));
      expect(list.rows.map((r) => r.cells[3])).toEqual(Object.values(a.contrasts).map((c: any) => c.clusters.length));
      for (const [cn, c] of Object.entries(a.contrasts) as [string, any][]) {
        const t = desc.tables.find((x) => x.id === `${name}__${cn}_clusters`)!;
        expect(t.section).toBe(sec);
        expect(t.rows.map((r) => r.peakMm)).toEqual(c.clusters.map((k: any) => k.peakMni));
        expect(t.file).toBe(`analyses/${name}/tables/${cn}_clusters.csv`);
        const rel = `analyses/${name}/tables/${cn}_cluster_regions.csv`;
        const cr = desc.tables.find((x) => x.id === `${name}__${cn}_cluster_regions`);
        if (!existsSync(join(out, rel))) continue;
        const lines = csvRows(rel);
        expect(cr!.rows).toHaveLength(lines.length - 1);
        regionRows += lines.length - 1;
        const h = lines[0]!.split(',');
        expect(cr!.rows.map((r) => r.peakMm)).toEqual(lines.slice(1).map((l) => ['peak_x', 'peak_y', 'peak_z_mm'].map((k) => Number(splitLine(l, ',')[h.indexOf(k)]))));
        // the surviving clusters' map of this analysis is embedded and drawn in its section
        if (c.clusters.length) {
          const m = desc.maps.find((x) => x.id === `${name}__${cn}_grf`)!;
          expect([m.file, m.section, m.mosaic]).toEqual([`analyses/${name}/maps/${cn}_grf.nii.gz`, sec, true]);
        }
      }
    }
    expect(regionRows).toBeGreaterThan(0);
    // the main contrasts stay in the main tables, with their own cluster × region rows
    const main = desc.tables.find((t) => t.id === 'DRE-HC_cluster_regions')!;
    expect(main.section).toBeUndefined();
    expect(main.rows).toHaveLength(csvRows('tables/DRE-HC_cluster_regions.csv').length - 1);
  });

  it('cluster values: per cluster mean ± SD over the subjects, and per group, as computed here from the CSV and the participants table', () => {
    const rel = 'tables/DRE-HC_cluster_values.csv';
    const t = desc.tables.find((x) => x.id === 'DRE-HC_cluster_values')!;
    const lines = csvRows(rel).map((l) => l.split(','));
    const groupOf = new Map(readFileSync(join(inDir, 'participants.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).map((r) => [r[0]!, r[1]!]));
    const k = 1;
    const vals = lines.slice(1).map((r) => ({ g: groupOf.get(r[0]!)!, v: Number(r[k]) }));
    const meanSd = (x: number[]) => {
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      return [m, Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1)), x.length];
    };
    const parse = (cell: unknown) => String(cell).match(/^(\S+) ± (\S+) \((\d+)\)$/)!.slice(1).map(Number);
    const [m, sd, n] = parse(t.rows[0]!.cells[2]);
    const want = meanSd(vals.map((e) => e.v));
    expect(m).toBeCloseTo(want[0]!, 3);
    expect(sd).toBeCloseTo(want[1]!, 2);
    expect(n).toBe(want[2]);
    const gi = t.columns.indexOf('HC: mean ± SD (n)');
    const hc = meanSd(vals.filter((e) => e.g === 'HC').map((e) => e.v));
    expect(parse(t.rows[0]!.cells[gi])[0]).toBeCloseTo(hc[0]!, 3);
    expect(t.rows).toHaveLength(lines[0]!.length - 1);
  });

  it('deviation section: each patient group\'s mean z map as a mosaic, the comparison map, a row per group', () => {
    const dev = result.deviation;
    const ids = desc.maps.filter((m) => m.section === 'deviation').map((m) => m.id);
    expect(ids).toEqual([...dev.patients.map((p: any) => `deviation_${p.group}_mean_z`), `deviation_${dev.comparison.groups[0]}-${dev.comparison.groups[1]}_t`]);
    const t = desc.tables.find((x) => x.id === 'deviation')!;
    expect(t.rows.map((r) => r.cells[1])).toEqual([...dev.patients.map((p: any) => p.n), '']);
    const mean = readNifti(readFileSync(join(out, 'maps/deviation/DRE_mean_z.nii.gz')), 'm').data;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of mean) if (Number.isFinite(v) && v !== 0) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    expect(t.rows[0]!.cells[3]).toBeCloseTo(lo, 3);
    expect(t.rows[0]!.cells[4]).toBeCloseTo(hi, 3);
  });

  it('reho\'s group step (a glm result inside result.group, files in the same folder) gets the same cohort sections and tables', async () => {
    const { describeResult, folderSource } = await import('../shared/report/index.ts');
    const reho = { pipeline: 'reho', jobId: 'reho-cohort', settings: { fdThreshold: 0.5, dropVolumes: 0, smoothFwhmMm: 0 }, subjects: [], excluded: [], group: result };
    const d = await describeResult(reho, folderSource(out, inDir), { job: { jobId: 'reho-cohort', pipeline: 'reho', inputs: { participants: 'participants.tsv' }, params: {} } });
    expect(d.sections).toEqual(desc.sections);
    const ids = (x: ReportDescription) => x.tables.filter((t) => t.id !== 'qc').map((t) => [t.id, t.section, t.rows.length]);
    expect(ids(d)).toEqual(ids(desc));
    expect(d.maps.filter((m) => m.section).map((m) => m.id)).toEqual(desc.maps.filter((m) => m.section).map((m) => m.id));
  });

  it('the HTML puts each section\'s tables and mosaics inside it', () => {
    for (const s of desc.sections!) {
      const body = html.match(new RegExp(`<section class="report-section" id="section-${s.id}"[\\s\\S]*?</section><section class="report-section"|<section class="report-section" id="section-${s.id}"[\\s\\S]*?(?=\\n<section id="plots">|\\n<section id="methods">)`))![0];
      for (const t of desc.tables.filter((x) => x.section === s.id)) expect(body, t.id).toContain(`data-table="${t.id}"`);
      for (const m of desc.maps.filter((x) => x.section === s.id && x.mosaic)) expect(body, m.id).toContain(`id="mosaic-${m.id}"`);
    }
    const main = html.match(/<section id="tables">[\s\S]*?<\/section>(?=\n)/)![0];
    expect(main).toContain('data-table="demographics"');
    expect(main).not.toContain('data-table="TLE__contrasts"');
  });
});

describe('transcriptomics layout pieces', () => {
  it('paintRegions: each template voxel takes its region\'s value through both affines (a diagonal-affine twin), centres are region voxels nearest the centroid', async () => {
    const { paintRegions } = await import('../shared/report/transcriptomics.ts');
    // template 2 mm, x flipped; atlas 1 mm on another origin
    const tpl = { dims: [10, 8, 6], affine: Float64Array.from([-2, 0, 0, 9, 0, 2, 0, -7, 0, 0, 2, -5, 0, 0, 0, 1]) };
    const ad = [24, 20, 16];
    const aAff = Float64Array.from([1, 0, 0, -12, 0, 1, 0, -10, 0, 0, 1, -8, 0, 0, 0, 1]);
    const adata = new Float32Array(ad[0]! * ad[1]! * ad[2]!);
    for (let k = 0; k < ad[2]!; k++) for (let j = 0; j < ad[1]!; j++) for (let i = 0; i < ad[0]!; i++) adata[i + ad[0]! * (j + ad[1]! * k)] = k < 3 ? 0 : 1 + (i < 12 ? 0 : 1) + (j < 9 ? 0 : 2);
    const labels = new Map([[1, 'A'], [2, 'B'], [3, 'C'], [4, 'D']]);
    const values = new Map([['A', -1.5], ['B', 2], ['C', 0.25], ['E', 9]]);
    const p = paintRegions(tpl, { dims: ad, affine: aAff, data: adata }, labels, [values]);
    const want = new Float32Array(10 * 8 * 6);
    for (let k = 0; k < 6; k++) for (let j = 0; j < 8; j++) for (let i = 0; i < 10; i++) {
      const [x, y, z] = [9 - 2 * i, -7 + 2 * j, -5 + 2 * k];
      const [a, b, c] = [Math.round(x + 12), Math.round(y + 10), Math.round(z + 8)];
      if (a < 0 || b < 0 || c < 0 || a >= 24 || b >= 20 || c >= 16) continue;
      const name = labels.get(adata[a + 24 * (b + 20 * c)]!);
      if (name && values.has(name)) want[i + 10 * (j + 8 * k)] = values.get(name)!;
    }
    expect(Array.from(p.volumes[0]!)).toEqual(Array.from(want));
    expect(p.missing).toEqual(['E']);
    for (const [name, mm] of p.centres) {
      const vox = (m: number[]) => [(9 - m[0]!) / 2, (m[1]! + 7) / 2, (m[2]! + 5) / 2];
      const [i, j, k] = vox(mm);
      expect(want[i! + 10 * (j! + 8 * k!)]).toBe(Math.fround(values.get(name)!));
      // brute force: no voxel of the region is nearer its centroid
      const pts: number[][] = [];
      for (let g = 0; g < want.length; g++) if (want[g] === Math.fround(values.get(name)!)) pts.push([9 - 2 * (g % 10), -7 + 2 * (Math.floor(g / 10) % 8), -5 + 2 * Math.floor(g / 80)]);
      const cen = [0, 1, 2].map((a) => pts.reduce((s, q) => s + q[a]!, 0) / pts.length);
      const d = (q: number[]) => q.reduce((s, x, a) => s + (x - cen[a]!) ** 2, 0);
      expect(d(mm)).toBeCloseTo(Math.min(...pts.map(d)), 9);
    }
  });

  it('quantile and nulls parsing against hand values', async () => {
    const { parseNulls, quantile } = await import('../shared/report/transcriptomics.ts');
    expect(quantile([4, 1, 3, 2, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 12);
    expect(parseNulls('null,k,variance_explained\npermutation,0,0.1\nspin,0,0.2\npermutation,1,0.3\n')).toEqual({ permutation: [0.1, 0.3], spin: [0.2] });
  });

  it('a region-values job without an atlas: no map, the report says why; components and genes from the tables', async () => {
    const { describeResult } = await import('../shared/report/index.ts');
    const files: Record<string, string> = {
      'tables/regions.csv': 'region,value,n_voxels,status,pls1_score\nL_a,0.5,,used,1.2\nL_b,-0.2,,used,-0.7\nL_c,,,missing expression,\n',
      'tables/pls_components.csv': 'component,variance_explained,cumulative\n1,0.4,0.4\n2,0.2,0.6\n',
      'tables/pls_genes.csv': 'gene,weight,z,p,q,rank\nG1,0.3,4,6e-5,0.001,1\nG2,0.1,1,0.3,0.4,2\nG3,-0.2,-3,0.002,0.02,3\n',
      'tables/nulls.csv': 'null,k,variance_explained\npermutation,0,0.1\npermutation,1,0.5\nspin,0,0.2\n',
    };
    const src = { files: Object.keys(files), read: async (rel: string) => (files[rel] ? new TextEncoder().encode(files[rel]) : undefined) };
    const result = { pipeline: 'transcriptomics', jobId: 'tx', nRegions: 2, nGenes: 3, pls: { varianceExplained: 0.4, pPerm: 2 / 3, pSpin: 0.5, nPerm: 2, exhaustive: false, nBoot: 10, nSpin: 1, spinMethod: 'vasa', components: [] }, nGenesFdr05: { positive: 1, negative: 1 }, correlations: [], notIncluded: ['enrichment'] };
    const d = await describeResult(result, src, { job: { jobId: 'tx', pipeline: 'transcriptomics', inputs: { regionValues: 'r.csv', expression: 'e.csv' }, params: {} } });
    expect(d.maps).toEqual([]);
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/inputs\.regionValues.*inputs\.atlas/);
    const comps = d.tables.find((t) => t.id === 'components')!;
    expect(comps.rows.map((r) => [r.cells[0], r.cells[3], r.survives])).toEqual([[1, 0.6667, false], [2, '', undefined]]);
    expect(d.tables.find((t) => t.id === 'genes_positive')!.rows.map((r) => [r.cells[1], r.survives])).toEqual([['G1', true], ['G2', false]]);
    expect(d.tables.find((t) => t.id === 'genes_negative')!.rows.map((r) => r.cells[1])).toEqual(['G3']);
    expect(d.tables.find((t) => t.id === 'regions')!.rows.map((r) => [r.cells[0], r.survives, r.peakMm])).toEqual([['L_a', true, undefined], ['L_b', true, undefined], ['L_c', false, undefined]]);
    const perm = d.plots.find((p) => p.id === 'null_permutation')!;
    expect(perm.type === 'null' && [Array.from(perm.values!), perm.observed![0]!.value, perm.thresholds![0]!.value]).toEqual([[0.1, 0.5], 0.4, 0.1 + 0.95 * 0.4]);
    expect(d.summary[0]).toContain('PLS1 explains 40.0% (0.4)');
  });
});

describe('report title', () => {
  it("a job's description is the heading as written (its own parenthesis not followed by another); the job id and pipeline are in the line above", async () => {
    const { describeResult, renderReportHtml } = await import('../shared/report/index.ts');
    const src = { files: [], read: async () => undefined };
    const job = { jobId: 'demo-glm', pipeline: 'tx', description: 'synthetic DRE / DSE / HC cohort (neuroburst demo)', inputs: {}, params: {} };
    const d = await describeResult({ pipeline: 'tx', jobId: 'demo-glm' }, src, { job });
    expect(d.title).toBe('synthetic DRE / DSE / HC cohort (neuroburst demo)');
    const html = await renderReportHtml(d);
    expect(html).toContain('<h1>synthetic DRE / DSE / HC cohort (neuroburst demo)</h1>');
    expect(html).toContain('<title>neuroburst — demo-glm: synthetic DRE / DSE / HC cohort (neuroburst demo)</title>');
    expect(html).toMatch(/<p class="meta">neuroburst [^<]* · job demo-glm · tx pipeline/);
    // without a description: the job id and pipeline are the heading
    const plain = await renderReportHtml(await describeResult({ pipeline: 'tx', jobId: 'j2' }, src, { job: { ...job, jobId: 'j2', description: '  ' } }));
    expect(plain).toContain('<h1>j2 (tx)</h1>');
    expect(plain).not.toContain('job j2 ·');
  });
});
