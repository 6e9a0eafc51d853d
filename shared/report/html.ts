/**
 * One self-contained report.html: the interactive NiiVue viewer (script and images inlined,
 * maps as base64 .nii.gz), PNG slice mosaics, SVG plots, tables with survivors marked and links
 * to the result files, the summary (inputs with checksums, parameters, seed, version, run time,
 * cost per stage), methods and warnings. No request leaves the file when it opens.
 */
import { writeNifti, type NiftiVolume } from '../nifti/index.ts';
import { niftiOf, rememberVolume } from './source.ts';
import { displayFor, negLog10P } from './display.ts';
import type { Display } from './display.ts';
import { mosaic, peakMm } from './mosaic.ts';
import type { Volume3 } from './mosaic.ts';
import { esc, plotSvg } from './svg.ts';
import type { Cell, ReportDescription, ReportMap, ReportTable } from './types.ts';

export interface ReportAssets {
  /** background template NIfTI bytes and how to name it */
  template: Uint8Array;
  templateName: string;
  /** the bundled viewer script (assets/viewer/niivue-viewer.min.js) */
  viewerJs: string;
}

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

/** JSON safe inside a <script> element. */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const href = (rel: string) => rel.split('/').map(encodeURIComponent).join('/');

function cell(c: Cell): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'number') return Number.isFinite(c) ? (Number.isInteger(c) ? String(c) : String(Number(c.toPrecision(5)))) : String(c);
  return esc(c);
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return esc(v);
  return esc(JSON.stringify(v));
}

interface PreparedMap {
  map: ReportMap;
  vol: Volume3;
  display: Display;
  /** bytes embedded in the viewer (re-encoded when the displayed values differ from the stored ones) */
  bytes: Uint8Array;
}

function prepare(m: ReportMap): PreparedMap {
  const img = niftiOf(m.nifti, m.file ?? m.id);
  const h = img.header;
  const n = h.dims[0]! * h.dims[1]! * h.dims[2]!;
  let data: Float32Array = img.data.length === n ? img.data : img.data.subarray(0, n);
  const d = displayFor(m.kind, m.kind === 'p' ? negLog10P(data) : data, m.threshold);
  const display0 = m.unit ? { ...d, unit: m.unit } : d;
  let bytes = m.nifti;
  if (display0.negLog10 || data !== img.data) {
    if (display0.negLog10) data = negLog10P(data);
    bytes = writeNifti({ dims: h.dims.slice(0, 3), affine: h.affine, data }, { datatype: 'float32', description: display0.negLog10 ? '-log10 p (display copy)' : 'first volume (display copy)', xformFrom: h });
  }
  return { map: m, vol: { dims: h.dims.slice(0, 3), affine: h.affine, data }, display: display0, bytes };
}

function legendOf(p: PreparedMap): string {
  const d = p.display;
  const r = `${d.unit} ${d.signed ? '|value| ' : ''}≥ ${Number(d.min.toPrecision(4))} (colour saturates at ${Number(d.max.toPrecision(4))})`;
  return p.map.legend ? `${p.map.legend} — ${r}` : r;
}

function colourBar(d: Display, id: string): string {
  const stops = (name: string) => (name === 'warm' ? ['#ff3200', '#ffff50'] : name === 'winter' ? ['#003cff', '#00ffc8'] : name === 'green' ? ['#28dc3c', '#28dc3c'] : ['#c80000', '#ffa000', '#ffffc8']);
  const grad = (id: string, name: string) => `<linearGradient id="${id}">${stops(name).map((c, i, a) => `<stop offset="${i / (a.length - 1)}" stop-color="${c}"/>`).join('')}</linearGradient>`;
  const neg = d.signed && d.colormapNegative;
  return `<svg class="cbar" width="260" height="26" viewBox="0 0 260 26"><defs>${grad(id + 'p', d.colormap)}${neg ? grad(id + 'n', d.colormapNegative!) : ''}</defs>${
    neg ? `<rect x="0" y="2" width="120" height="10" fill="url(#${id}n)" transform="translate(120 0) scale(-1 1)"/><rect x="140" y="2" width="120" height="10" fill="url(#${id}p)"/><text x="0" y="24">−${Number(d.max.toPrecision(3))}</text><text x="120" y="24" text-anchor="end">−${Number(d.min.toPrecision(3))}</text><text x="140" y="24">${Number(d.min.toPrecision(3))}</text><text x="260" y="24" text-anchor="end">${Number(d.max.toPrecision(3))}</text>` : `<rect x="0" y="2" width="260" height="10" fill="url(#${id}p)"/><text x="0" y="24">${Number(d.min.toPrecision(3))}</text><text x="260" y="24" text-anchor="end">${Number(d.max.toPrecision(3))}</text>`
  }</svg>`;
}

function tableHtml(t: ReportTable): string {
  const marks = t.rows.some((r) => r.survives !== undefined);
  const clickable = t.rows.some((r) => r.peakMm);
  const head = `<tr>${marks ? `<th>${esc(t.survivorLabel ?? 'survives')}</th>` : ''}${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = t.rows.length
    ? t.rows
        .map((r) => {
          const attrs = [r.survives ? 'class="survivor"' : r.survives === false ? 'class="nonsurvivor"' : '', r.peakMm ? `data-peak-mm="${r.peakMm.join(',')}" tabindex="0" title="show this peak in the viewer"` : '', r.map ? `data-map="${esc(r.map)}"` : '']
            .filter(Boolean)
            .join(' ');
          return `<tr ${attrs}>${marks ? `<td class="mark">${r.survives ? '✓' : r.survives === false ? '–' : ''}</td>` : ''}${r.cells.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`;
        })
        .join('')
    : `<tr><td colspan="${t.columns.length + (marks ? 1 : 0)}" class="empty">no rows</td></tr>`;
  const survivors = marks ? t.rows.filter((r) => r.survives).length : undefined;
  return `<section class="table" id="table-${esc(t.id)}"><h3>${esc(t.title)}</h3><p class="meta">${t.rows.length} row(s)${survivors !== undefined ? `, ${survivors} marked ✓` : ''}${t.file ? ` · from <a href="${href(t.file)}">${esc(t.file)}</a>` : ''}${clickable ? ' · click a row to move the viewer to its peak' : ''}</p>${t.note ? `<p class="note">${esc(t.note)}</p>` : ''}<div class="scroll"><table data-table="${esc(t.id)}"><thead>${head}</thead><tbody>${body}</tbody></table></div></section>`;
}

const CSS = `
:root{--fg:#1d2430;--mute:#5d6675;--line:#dde2ea;--accent:#1f6feb;--ok:#137333;--warn:#b3261e}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);max-width:76rem;margin:0 auto;padding:1.5rem 1.25rem 4rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
.meta,.note{color:var(--mute);font-size:.88rem;margin:.2rem 0}.headline{font-size:1.1rem}.summary li{margin:.15rem 0}
.warnings{border-left:4px solid var(--warn);background:#fdf0ef;padding:.5rem 1rem;margin:1rem 0}.warnings li{color:var(--warn)}
.viewer-wrap{display:grid;grid-template-columns:minmax(0,1fr);gap:.4rem}#nb-viewer-box{height:440px;background:#000;border-radius:6px;overflow:hidden}#nb-viewer{width:100%;height:100%;display:block}
.viewer-bar{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;font-size:.92rem}#nb-crosshair{font-family:ui-monospace,monospace;background:#f3f5f8;padding:.1rem .5rem;border-radius:4px}
select{font:inherit;padding:.15rem .3rem}.mosaic{margin:1rem 0 1.6rem}.mosaic img{max-width:100%;height:auto;background:#000;border-radius:4px;image-rendering:pixelated}
.cbar text{font-size:10px;fill:var(--mute)}
table{border-collapse:collapse;font-size:.88rem;margin:.3rem 0}td,th{border:1px solid var(--line);padding:.2rem .5rem;text-align:right;white-space:nowrap}th{background:#f4f6f9;position:sticky;top:0}
td:first-child,th:first-child{text-align:center}.scroll{max-height:26rem;overflow:auto}
tr.survivor td{font-weight:600}tr.survivor td.mark{color:var(--ok)}tr.nonsurvivor td{color:var(--mute)}tr[data-peak-mm]{cursor:pointer}tr[data-peak-mm]:hover td{background:#eef4ff}tr.nb-selected td{background:#dbe8ff}
td.empty{text-align:center;color:var(--mute)}
.plots{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}.plot-box{flex:0 1 auto;max-width:min(100%,600px);margin:0}.plot-box svg{max-width:100%;height:auto}
svg.plot{font:11px system-ui,sans-serif;background:#fff}svg.plot .axis{stroke:#333}svg.plot .grid{stroke:#eee}svg.plot .tick{fill:#444}svg.plot .label{fill:#222;font-size:12px}
svg.plot .bar{fill:#8aa4c8}svg.plot .bar.highlight{fill:#d9480f}svg.plot .observed{stroke:#c92a2a;stroke-width:2}svg.plot .observed-text{fill:#c92a2a}svg.plot .threshold{stroke:#333;stroke-dasharray:5 3}svg.plot .threshold-text{fill:#333}
svg.plot .trace{fill:none;stroke:#4263eb;stroke-width:1;opacity:.8}svg.plot .trace.excluded{stroke:#e03131;stroke-width:1.5}svg.plot .legend{fill:#4263eb}svg.plot .excluded-text{fill:#e03131}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;font-size:.9rem}dl.kv dt{color:var(--mute)}dl.kv dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
.default{color:var(--mute)}.files{columns:2;font-size:.88rem}.methods{max-width:60rem}
@media print{#nb-viewer-section{display:none}.scroll{max-height:none}}
`;

const templates = new WeakMap<NiftiVolume, Volume3>();

/** The report of `desc` as one HTML string. */
export function renderReport(desc: ReportDescription, assets: ReportAssets): string {
  const prepared = desc.maps.map(prepare);
  const byId = new Map(prepared.map((p) => [p.map.id, p]));
  // the template is decoded once per process (the assets' bytes are loaded once)
  const tpl = niftiOf(assets.template, assets.templateName);
  rememberVolume(assets.template, tpl);
  // one Volume3 per decoded template: the mosaics' template parts are computed once per process
  let template = templates.get(tpl);
  if (!template) templates.set(tpl, (template = { dims: tpl.header.dims.slice(0, 3), affine: tpl.header.affine, data: tpl.data }));
  let tplMax = 0;
  for (const v of tpl.data) if (v > tplMax) tplMax = v;

  // the first clickable table row decides where the viewer opens
  const firstPeak = desc.tables.flatMap((t) => t.rows).find((r) => r.peakMm);
  const initialMap = firstPeak?.map && byId.has(firstPeak.map) ? firstPeak.map : (prepared.find((p) => p.map.mosaic) ?? prepared[0])?.map.id;
  const viewerCfg = {
    template: { name: assets.templateName, base64: b64(assets.template), calMin: 0, calMax: tplMax * 0.9 },
    maps: prepared.map((p) => ({ id: p.map.id, name: p.map.label, base64: b64(p.bytes), colormap: p.display.colormap, colormapNegative: p.display.signed ? p.display.colormapNegative : undefined, calMin: p.display.min, calMax: p.display.max, legend: legendOf(p) })),
    initialMap,
    // without a table peak the viewer opens on the shown map's strongest voxel
    initialMm: firstPeak?.peakMm ?? (initialMap ? peakMm(byId.get(initialMap)!.vol, byId.get(initialMap)!.display) : undefined),
  };
  const viewer = prepared.length
    ? `<section id="nb-viewer-section"><h2>Interactive viewer</h2>
<div class="viewer-wrap"><div class="viewer-bar"><label>map <select id="nb-map-select">${prepared.map((p) => `<option value="${esc(p.map.id)}">${esc(p.map.label)}</option>`).join('')}</select></label><span id="nb-crosshair">MNI (…) mm</span><span id="nb-viewer-status" class="meta">starting the viewer…</span></div>
<div id="nb-viewer-box"><canvas id="nb-viewer" data-ready="0"></canvas></div><p class="meta" id="nb-map-legend"></p>
<p class="meta">Click or drag in a slice to move the crosshair; scroll to change slice. Background: ${esc(desc.templateNote ?? assets.templateName)}.</p></div>
<script type="application/json" id="nb-viewer-config">${scriptJson(viewerCfg)}</script></section>`
    : '';

  const sectionIds = new Set((desc.sections ?? []).map((x) => x.id));
  const inSection = (x: { section?: string }, id: string | undefined) => (x.section && sectionIds.has(x.section) ? x.section : undefined) === id;
  const mosaicOf = (list: PreparedMap[]) => list
    .map((p) => {
      const pi = prepared.indexOf(p);
      const m = mosaic(template, p.vol, p.display, p.map.centreMm ? { centre: p.map.centreMm } : {});
      return `<figure class="mosaic" id="mosaic-${esc(p.map.id)}"><figcaption><b>${esc(p.map.label)}</b> — ${esc(legendOf(p))}. Top: sagittal, coronal, axial through MNI (${m.centre.join(', ')}) mm (crosshair); bottom: axial slices at z = ${m.slicesMm.join(', ')} mm. Left hemisphere on the left.${p.map.file ? ` File: <a href="${href(p.map.file)}">${esc(p.map.file)}</a>.` : ''}</figcaption>${colourBar(p.display, `cb${pi}`)}<br><img alt="${esc(p.map.label)} over the template" src="data:image/png;base64,${b64(m.png)}"></figure>`;
    })
    .join('');
  const mosaics = mosaicOf(prepared.filter((p) => p.map.mosaic && inSection(p.map, undefined)));
  const sections = (desc.sections ?? [])
    .map((sec) => {
      const figs = mosaicOf(prepared.filter((p) => p.map.mosaic && inSection(p.map, sec.id)));
      const tabs = desc.tables.filter((t) => inSection(t, sec.id));
      return `<section class="report-section" id="section-${esc(sec.id)}" data-section="${esc(sec.id)}"><h2>${esc(sec.title)}</h2>${sec.note ? `<p class="note">${esc(sec.note)}</p>` : ''}${figs}${tabs.map(tableHtml).join('')}</section>`;
    })
    .join('');
  const mainTables = desc.tables.filter((t) => inSection(t, undefined));

  const params = desc.parameters
    .map((p) => `<dt>${esc(p.name)}</dt><dd${p.isDefault ? ' class="default" title="default"' : ''}>${valueText(p.value)}${p.isDefault ? ' (default)' : ''}</dd>`)
    .join('');
  const inputs = desc.inputs
    .map((i) => `<tr><td>${esc(i.name)}</td><td style="text-align:left">${esc(i.uri)}</td><td>${i.bytes ?? ''}</td><td style="text-align:left;font-family:ui-monospace,monospace">${i.sha256 ? esc(i.sha256) : `<span class="meta">${esc(i.note ?? '')}</span>`}</td></tr>`)
    .join('');
  const cost = desc.cost;
  const stages = cost?.stages.length
    ? `<table><thead><tr><th>stage</th><th>shards</th><th>billed s</th><th>USD</th></tr></thead><tbody>${cost.stages.map((s) => `<tr><td style="text-align:left">${esc(s.stage)}</td><td>${s.shards ?? ''}</td><td>${s.billedSeconds !== undefined ? s.billedSeconds.toFixed(1) : ''}</td><td>${s.usd !== undefined ? s.usd.toFixed(5) : ''}</td></tr>`).join('')}</tbody></table>`
    : '';
  // a described job: its description as the heading, the job id and pipeline in the line above it
  const title = desc.title ?? `${desc.jobId} (${desc.pipeline})`;
  const tabTitle = desc.title ? `${desc.jobId}: ${desc.title}` : title;
  const [headline, ...rest] = desc.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; style-src 'unsafe-inline'; img-src data: blob:; connect-src data: blob:; worker-src blob:">
<title>neuroburst — ${esc(tabTitle)}</title><style>${CSS}</style></head>
<body data-pipeline="${esc(desc.pipeline)}">
<header><p class="meta">neuroburst ${esc(desc.version)} · ${desc.title ? `job ${esc(desc.jobId)} · ` : ''}${esc(desc.pipeline)} pipeline${desc.generatedAt ? ` · report made ${esc(desc.generatedAt)}` : ''}</p><h1>${esc(title)}</h1>
${headline ? `<p class="headline">${esc(headline)}</p>` : ''}${rest.length ? `<ul class="summary">${rest.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : ''}
${desc.warnings.length ? `<div class="warnings" id="warnings"><b>Warnings</b><ul>${desc.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>` : ''}</header>
${viewer}
${mosaics ? `<section id="mosaics"><h2>Maps</h2>${mosaics}</section>` : ''}
${mainTables.length ? `<section id="tables"><h2>Tables</h2>${mainTables.map(tableHtml).join('')}</section>` : ''}
${sections}
${desc.plots.length ? `<section id="plots"><h2>Plots</h2><div class="plots">${desc.plots.map((p) => `<figure class="plot-box" data-plot="${esc(p.id)}" data-plot-type="${p.type}"><figcaption><b>${esc(p.title)}</b>${p.note ? ` <span class="meta">${esc(p.note)}</span>` : ''}</figcaption>${plotSvg(p)}</figure>`).join('')}</div></section>` : ''}
<section id="methods"><h2>Methods</h2><p class="methods">${esc(desc.methods)}</p></section>
<section id="summary"><h2>Run summary</h2>
<dl class="kv"><dt>job</dt><dd>${esc(desc.jobId)}</dd><dt>pipeline</dt><dd>${esc(desc.pipeline)}</dd><dt>software</dt><dd>neuroburst ${esc(desc.version)}</dd>${desc.seed !== undefined ? `<dt>seed</dt><dd>${desc.seed}</dd>` : ''}${desc.runSeconds !== undefined ? `<dt>run time</dt><dd>${desc.runSeconds.toFixed(1)} s</dd>` : ''}${cost ? `<dt>cost</dt><dd>${cost.estimatedUsd !== undefined ? `estimated $${cost.estimatedUsd.toFixed(4)}` : ''}${cost.actualUsd !== undefined ? `, actual $${cost.actualUsd.toFixed(4)}` : ''}${cost.lambdaGbSeconds !== undefined ? ` (${cost.lambdaGbSeconds.toFixed(1)} GB-s)` : ''}</dd>` : ''}</dl>
${stages ? `<h3>Cost per stage</h3>${stages}` : ''}
<h3>Inputs</h3><table><thead><tr><th>input</th><th>URI</th><th>bytes</th><th>SHA-256</th></tr></thead><tbody>${inputs || '<tr><td colspan="4" class="empty">none recorded</td></tr>'}</tbody></table>
<h3>Parameters (defaults filled in)</h3><dl class="kv">${params}</dl>
${desc.files?.length ? `<h3>Files</h3><ul class="files">${desc.files.map((f) => `<li><a href="${href(f)}">${esc(f)}</a></li>`).join('')}</ul>` : ''}
</section>
${prepared.length ? `<script>${assets.viewerJs.replace(/<\/script/gi, '<\\/script')}</script>` : ''}
</body></html>
`;
}

