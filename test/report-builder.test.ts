/**
 * Report builder pieces against straightforward twins: histogram counts, ticks, display
 * thresholds, −log10 p, the slice renderer's orientation and colours (a planted voxel lands on
 * the pixel computed by hand from its MNI mm), and the HTML's self-containment.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
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
