/**
 * Report description of a transcriptomics result: the response painted on its parcellation
 * (mosaic and viewer, when the atlas is readable), the PLS components with their permutation and
 * spin p, the permutation and spin nulls of PLS1's variance explained, the top genes by bootstrap
 * Z with their FDR q, the regions with their scores, map–map correlations and the enrichment,
 * differential expression and MCODE tables when the job ran them.
 */
import { readNifti, writeNifti } from '../nifti/index.ts';
import { invertAffine, voxelToMm } from '../nifti/affine.ts';
import { parseLabelTable } from '../volume/atlas-labels.ts';
import { loadReportAssets } from './assets.ts';
import { kindFromName } from './kinds.ts';
import { num, parseDelimited, readText, text } from './source.ts';
import type { ResultSource } from './source.ts';
import type { Cell, NullPlot, ReportMap, ReportPlot, ReportTable, ReportTableRow } from './types.ts';

/** The parts of a transcriptomics result.json the report reads. */
export interface TranscriptomicsResultLike {
  nRegions: number;
  nGenes: number;
  regions?: { used: string[]; dropped: { region: string; reason: string }[]; genesDropped: number };
  parcellation?: { resampling: string; statistic: string; emptyRegions: string[] };
  pls: {
    varianceExplained: number;
    pPerm: number | null;
    pSpin: number | null;
    nPerm: number;
    exhaustive: boolean;
    nBoot: number;
    nSpin: number;
    spinMethod: string;
    components: { component: number; varianceExplained: number }[];
  };
  nGenesFdr05: { positive: number; negative: number };
  geneSpin?: { nSpin: number; nFdr05: number };
  correlations?: { name: string; n: number; r: number; rho: number; pSpin: number | null; pSpinRho: number | null; nSpin: number }[];
  enrichment?: null | { rule: string; lists: Record<string, number>; libraries: string[]; significant: Record<string, number> };
  deg?: null | { method: string; test: string; reference: string; nUp: number; nDown: number; overlaps: Record<string, { genes: number; expected: number; p: number }> };
  mcode?: null | { list: string; genes: number; edges: number; clusters: { rank: number; score: number; size: number; seed: string }[] };
  notIncluded?: string[];
}

/** Genes shown per tail in the report's gene table (the whole ranking is in tables/pls_genes.csv). */
export const TOP_GENES = 25;
/** Rows shown of the enrichment and DEG tables (sorted by q / p; the files hold every row). */
export const TOP_ROWS = 30;

const fmtP = (p: number | null | undefined): Cell => (p === null || p === undefined || !Number.isFinite(p) ? '' : p < 0.001 ? p.toExponential(2) : Number(p.toPrecision(4)));
const r4 = (x: number): Cell => (Number.isFinite(x) ? Number(x.toPrecision(4)) : '');

/** The q-th quantile (0..1) of finite values, linear interpolation (as numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const a = Array.from(values).filter(Number.isFinite).sort((x, y) => x - y);
  if (!a.length) return Number.NaN;
  const pos = q * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

/** The permutation and spin nulls of PLS1's variance explained from tables/nulls.csv (null,k,variance_explained). */
export function parseNulls(s: string): { permutation: number[]; spin: number[] } {
  const { header, rows } = parseDelimited(s);
  const ni = header.indexOf('null');
  const vi = header.indexOf('variance_explained');
  const out = { permutation: [] as number[], spin: [] as number[] };
  if (ni < 0 || vi < 0) return out;
  for (const r of rows) {
    const v = Number(r[vi]);
    if (r[ni] === 'permutation') out.permutation.push(v);
    else if (r[ni] === 'spin') out.spin.push(v);
  }
  return out;
}

/** A volume on the template's grid with each atlas region painted with its value (0 where unlabelled or without a value). */
export interface PaintedRegions {
  dims: number[];
  affine: Float64Array;
  /** one volume per painted quantity */
  volumes: Float32Array[];
  /** region → MNI mm of its voxel nearest the region's centroid (on the template grid) */
  centres: Map<string, [number, number, number]>;
  /** regions with a value but no voxel of the atlas on the template grid */
  missing: string[];
}

/**
 * Paint region values on the template grid: each template voxel takes the atlas label at its mm
 * (nearest atlas voxel through both affines), and the label's region its value from `values[q]`.
 */
export function paintRegions(
  template: { dims: number[]; affine: Float64Array },
  atlas: { dims: number[]; affine: Float64Array; data: ArrayLike<number> },
  labels: Map<number, string>,
  values: Map<string, number>[],
): PaintedRegions {
  const [nx, ny, nz] = template.dims as [number, number, number];
  const [ax, ay, az] = atlas.dims as [number, number, number];
  const inv = invertAffine(atlas.affine);
  const N = nx * ny * nz;
  const volumes = values.map(() => new Float32Array(N));
  const sums = new Map<string, { n: number; x: number; y: number; z: number }>();
  const regionOf = new Array<string | undefined>(N);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const [x, y, z] = voxelToMm(template.affine, i, j, k);
        const a = Math.round(inv[0]! * x + inv[1]! * y + inv[2]! * z + inv[3]!);
        const b = Math.round(inv[4]! * x + inv[5]! * y + inv[6]! * z + inv[7]!);
        const c = Math.round(inv[8]! * x + inv[9]! * y + inv[10]! * z + inv[11]!);
        if (a < 0 || b < 0 || c < 0 || a >= ax || b >= ay || c >= az) continue;
        const lab = Math.round(atlas.data[a + ax * (b + ay * c)]!);
        const name = lab ? labels.get(lab) : undefined;
        if (!name || !values.some((m) => m.has(name))) continue;
        const g = i + nx * (j + ny * k);
        regionOf[g] = name;
        values.forEach((m, q) => {
          const v = m.get(name);
          if (v !== undefined && Number.isFinite(v)) volumes[q]![g] = v;
        });
        const s = sums.get(name) ?? { n: 0, x: 0, y: 0, z: 0 };
        s.n++;
        s.x += x;
        s.y += y;
        s.z += z;
        sums.set(name, s);
      }
  // the region's voxel nearest its centroid (a curved region's centroid may lie outside it)
  const best = new Map<string, { d: number; mm: [number, number, number] }>();
  for (let g = 0; g < N; g++) {
    const name = regionOf[g];
    if (!name) continue;
    const s = sums.get(name)!;
    const mm = voxelToMm(template.affine, g % nx, Math.floor(g / nx) % ny, Math.floor(g / (nx * ny)));
    const d = (mm[0] - s.x / s.n) ** 2 + (mm[1] - s.y / s.n) ** 2 + (mm[2] - s.z / s.n) ** 2;
    const b = best.get(name);
    if (!b || d < b.d) best.set(name, { d, mm: [mm[0], mm[1], mm[2]] });
  }
  const centres = new Map([...best].map(([k, v]) => [k, v.mm] as const));
  const named = new Set(values.flatMap((m) => [...m.keys()]));
  return { dims: template.dims.slice(0, 3), affine: template.affine, volumes, centres, missing: [...named].filter((r) => !centres.has(r)).sort() };
}

interface Parts {
  maps: ReportMap[];
  tables: ReportTable[];
  plots: ReportPlot[];
  summary: string[];
  warnings: string[];
}

/** Region rows of tables/regions.csv: region, value, n_voxels, status, pls1_score. */
function parseRegions(s: string): { region: string; value: number; nVoxels: string; status: string; score: number }[] {
  const { header, rows } = parseDelimited(s);
  const c = (n: string) => header.indexOf(n);
  return rows.map((r) => ({ region: r[c('region')]!, value: r[c('value')] === '' ? Number.NaN : Number(r[c('value')]), nVoxels: r[c('n_voxels')] ?? '', status: r[c('status')] ?? '', score: r[c('pls1_score')] === '' || r[c('pls1_score')] === undefined ? Number.NaN : Number(r[c('pls1_score')]) }));
}

/** The painted response / PLS1 score maps from the job's atlas, or why there are none. */
async function regionMaps(regions: ReturnType<typeof parseRegions>, src: ResultSource, job: Record<string, unknown> | undefined, statistic: string | undefined): Promise<{ maps: ReportMap[]; centres?: Map<string, [number, number, number]>; note?: string }> {
  const inputs = (job?.inputs ?? {}) as Record<string, unknown>;
  const atlasRef = typeof inputs.atlas === 'string' ? inputs.atlas : undefined;
  const labelsRef = typeof inputs.atlasLabels === 'string' ? inputs.atlasLabels : undefined;
  if (!atlasRef || !labelsRef) {
    return { maps: [], note: `No brain image of the response: it was given as region values (inputs.regionValues) and the job names no parcellation volume (inputs.atlas with inputs.atlasLabels) to paint them on; the region table below lists every value.` };
  }
  const read = async (ref: string) => (src.readInput ? await src.readInput(ref).catch(() => undefined) : undefined);
  const [ab, lb] = [await read(atlasRef), await read(labelsRef)];
  if (!ab || !lb) {
    return { maps: [], note: `No brain image of the response: the parcellation (${!ab ? `inputs.atlas ${atlasRef}` : `inputs.atlasLabels ${labelsRef}`}) is not readable from here and no parcellation volume is in the result; regenerate with \`neuroburst report DIR --inputs <folder of job.json>\` where it is.` };
  }
  let painted: PaintedRegions;
  let value = new Map<string, number>();
  let score = new Map<string, number>();
  try {
    const atlas = readNifti(ab, 'inputs.atlas');
    const labels = parseLabelTable(text(lb), 'inputs.atlasLabels');
    const tpl = readNifti((await loadReportAssets()).template, 'template').header;
    value = new Map(regions.filter((r) => Number.isFinite(r.value)).map((r) => [r.region, r.value] as const));
    score = new Map(regions.filter((r) => Number.isFinite(r.score)).map((r) => [r.region, r.score] as const));
    painted = paintRegions({ dims: tpl.dims.slice(0, 3), affine: tpl.affine }, { dims: atlas.header.dims.slice(0, 3), affine: atlas.header.affine, data: atlas.data }, labels, [value, score]);
  } catch {
    return { maps: [], note: 'No brain image of the response: the parcellation named by inputs.atlas / inputs.atlasLabels could not be read as a NIfTI volume and a label table.' };
  }
  const nifti = (data: Float32Array, d: string) => writeNifti({ dims: painted.dims, affine: painted.affine, data }, { datatype: 'float32', description: d });
  const stat = statistic ?? 'value';
  // the mosaics cross at the region with the largest |value| (its voxel nearest its centroid), not at a painted region's first voxel
  const centreOf = (m: Map<string, number>) => {
    const best = [...m].filter(([k]) => painted.centres.has(k)).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))[0];
    return best ? { centreMm: painted.centres.get(best[0])! } : {};
  };
  const maps: ReportMap[] = [
    {
      id: 'response_regions',
      label: `response: regional ${stat} painted on the parcellation`,
      kind: 'cluster',
      unit: `regional ${stat}`,
      nifti: nifti(painted.volumes[0]!, `response, regional ${stat} (report display)`),
      mosaic: true,
      ...centreOf(value),
      legend: `each region of inputs.atlas painted with its ${stat} (tables/regions.csv), resampled to the template's 2 mm grid by nearest neighbour`,
    },
    {
      id: 'pls1_score_regions',
      label: 'PLS1 score per region',
      kind: 'cluster',
      unit: 'PLS1 score',
      nifti: nifti(painted.volumes[1]!, 'PLS1 score per region (report display)'),
      mosaic: true,
      ...centreOf(score),
      legend: 'PLS1 regional score (X·w: the expression pattern that covaries with the response) painted on the parcellation',
    },
  ];
  return { maps, centres: painted.centres, ...(painted.missing.length ? { note: `${painted.missing.length} region(s) with a value have no atlas voxel on the template grid and are not painted: ${painted.missing.slice(0, 8).join(', ')}${painted.missing.length > 8 ? ', …' : ''}.` } : {}) };
}

export async function describeTranscriptomicsParts(r: TranscriptomicsResultLike, src: ResultSource, job?: Record<string, unknown>): Promise<Parts> {
  const has = (rel: string) => src.files.includes(rel);
  const fileOf = (rel: string) => (has(rel) ? rel : undefined);
  const params = (job?.params ?? {}) as Record<string, unknown>;
  const alpha = typeof params.fdrAlpha === 'number' ? params.fdrAlpha : 0.05;
  const maps: ReportMap[] = [];
  const tables: ReportTable[] = [];
  const plots: ReportPlot[] = [];
  const warnings: string[] = [];
  const pls = r.pls;
  const ve = pls.varianceExplained;
  const summary = [
    `PLS1 explains ${(100 * ve).toFixed(1)}% (${Number(ve.toPrecision(6))}) of the response's variance across ${r.nRegions} regions × ${r.nGenes} genes; permutation p = ${fmtP(pls.pPerm) || 'not tested'}${pls.nPerm ? ` (${pls.nPerm}${pls.exhaustive ? ', exhaustive' : ''})` : ''}, spin p = ${fmtP(pls.pSpin) || 'not tested'}${pls.nSpin ? ` (${pls.nSpin} spins, ${pls.spinMethod})` : ''}.`,
    pls.nBoot ? `${r.nGenesFdr05.positive + r.nGenesFdr05.negative} gene(s) with bootstrap FDR q < ${alpha} (${r.nGenesFdr05.positive} positive, ${r.nGenesFdr05.negative} negative; ${pls.nBoot} bootstrap resamples).` : 'No bootstrap: genes are ranked by their PLS1 weight without Z or q.',
  ];
  if (r.geneSpin) summary.push(`Per-gene spin test: ${r.geneSpin.nFdr05} gene(s) correlate with the response at FDR q < ${alpha} (${r.geneSpin.nSpin} spins).`);
  for (const c of r.correlations ?? []) summary.push(`Correlation with ${c.name}: r = ${r4(c.r)}, ρ = ${r4(c.rho)} over ${c.n} regions${c.pSpin !== null ? `, spin p = ${fmtP(c.pSpin)} (${c.nSpin} spins)` : ''}.`);
  if (r.enrichment) summary.push(`Enrichment (${r.enrichment.libraries.join(', ')}): ${Object.entries(r.enrichment.significant).map(([l, n]) => `${n} set(s) for the ${l} list`).join(', ')} at q < ${alpha}.`);
  if (r.deg) summary.push(`Differential expression (${r.deg.test} vs ${r.deg.reference}): ${r.deg.nUp} up, ${r.deg.nDown} down.`);
  if (r.mcode) summary.push(`MCODE on the ${r.mcode.list} genes' interactions (${r.mcode.genes} genes, ${r.mcode.edges} edges): ${r.mcode.clusters.length} cluster(s).`);
  if (r.notIncluded?.length) summary.push(`Not part of this run: ${r.notIncluded.join(', ')}.`);

  // regions and the response painted on the parcellation
  const regionsText = await readText(src, 'tables/regions.csv');
  const regions = regionsText ? parseRegions(regionsText) : [];
  const painted = regions.length ? await regionMaps(regions, src, job, r.parcellation?.statistic) : { maps: [] as ReportMap[], note: 'tables/regions.csv is not in the result: no region values to show.' };
  maps.push(...painted.maps);
  if (painted.note) warnings.push(painted.note);
  // any map the result folder holds (e.g. a parcellation volume written beside the tables)
  for (const rel of src.files.filter((f) => /^maps\/.*\.nii(\.gz)?$/.test(f)).slice(0, 8)) {
    const b = await src.read(rel);
    if (b) maps.push({ id: rel.replace(/^maps\//, '').replace(/\.nii(\.gz)?$/, '').replace(/[^A-Za-z0-9_.-]/g, '_'), label: rel.replace(/^maps\//, ''), kind: kindFromName(rel), file: rel, nifti: b });
  }

  // components
  const compText = await readText(src, 'tables/pls_components.csv');
  const comps = compText ? parseDelimited(compText).rows.map((x) => ({ component: Number(x[0]), ve: Number(x[1]), cum: Number(x[2]) })) : pls.components.map((c) => ({ component: c.component, ve: c.varianceExplained, cum: Number.NaN }));
  const p1 = pls.pSpin ?? pls.pPerm;
  tables.push({
    id: 'components',
    title: 'PLS components',
    file: fileOf('tables/pls_components.csv'),
    note: `Variance of the response explained per SIMPLS component. Only PLS1 is tested: permutation p against ${pls.nPerm} relabellings${pls.exhaustive ? ' (exhaustive)' : ''}, spin p against ${pls.nSpin} spins; the FDR column counts the genes whose bootstrap Z passes q < ${alpha}. ✓: spin p (else permutation p) ≤ 0.05.`,
    columns: ['component', 'variance explained', 'cumulative', 'permutation p', 'spin p', `genes q < ${alpha} (+ / −)`],
    survivorLabel: 'p ≤ .05',
    rows: comps.map((c) =>
      c.component === 1
        ? { cells: [1, r4(c.ve), r4(c.cum), fmtP(pls.pPerm), fmtP(pls.pSpin), pls.nBoot ? `${r.nGenesFdr05.positive} / ${r.nGenesFdr05.negative}` : ''], ...(p1 !== null ? { survives: p1 <= 0.05 } : {}) }
        : { cells: [c.component, r4(c.ve), r4(c.cum), '', '', ''] },
    ),
  });

  // null distributions of PLS1's variance explained
  const nullText = await readText(src, 'tables/nulls.csv');
  const nulls = nullText ? parseNulls(nullText) : { permutation: [], spin: [] };
  const nullPlot = (id: string, name: string, values: number[], p: number | null, n: number): NullPlot => ({
    type: 'null',
    id,
    title: `${name} null of PLS1 variance explained`,
    xLabel: 'variance explained by PLS1',
    values,
    observed: [{ label: 'observed', value: ve }],
    thresholds: [
      { label: '95th', value: quantile(values, 0.95) },
      { label: '99th', value: quantile(values, 0.99) },
    ],
    note: `${n} ${name === 'Permutation' ? `relabellings${pls.exhaustive ? ' (all of them)' : ''}` : `spins (${pls.spinMethod})`}; p = ${fmtP(p)}. The observed value beyond the 95th percentile is p < 0.05.`,
  });
  if (nulls.permutation.length) plots.push(nullPlot('null_permutation', 'Permutation', nulls.permutation, pls.pPerm, nulls.permutation.length));
  if (nulls.spin.length) plots.push(nullPlot('null_spin', 'Spin', nulls.spin, pls.pSpin, nulls.spin.length));
  if (!nulls.permutation.length && !nulls.spin.length) warnings.push('No null distribution in this result (no permutations or spins were run, or tables/nulls.csv is missing).');
  if (comps.length > 1) plots.push({ type: 'bars', id: 'components_ve', title: 'Variance explained per PLS component', yLabel: 'variance explained', bars: comps.map((c) => ({ label: `PLS${c.component}`, value: Number(c.ve.toPrecision(4)), highlight: c.component === 1 })) });

  // genes
  const genesText = await readText(src, 'tables/pls_genes.csv');
  if (genesText) {
    const { header, rows } = parseDelimited(genesText);
    const c = (n: string) => header.indexOf(n);
    const row = (x: string[]): ReportTableRow => {
      const q = Number(x[c('q')]);
      return { cells: [Number(x[c('rank')]), x[c('gene')], r4(Number(x[c('weight')])), r4(Number(x[c('z')])), fmtP(Number(x[c('p')])), fmtP(q)], ...(Number.isFinite(q) ? { survives: q < alpha } : {}) };
    };
    const byZ = pls.nBoot > 0;
    const pos = rows.filter((x) => Number(x[c(byZ ? 'z' : 'weight')]) > 0).slice(0, TOP_GENES);
    const neg = rows.filter((x) => Number(x[c(byZ ? 'z' : 'weight')]) < 0).reverse().slice(0, TOP_GENES);
    const cols = ['rank', 'gene', 'PLS1 weight', 'bootstrap Z', 'p', 'FDR q'];
    const note = (tail: string) => `The ${TOP_GENES} genes with the ${tail} ${byZ ? 'bootstrap Z' : 'PLS1 weight'} (rank over all ${rows.length} genes); ✓: FDR q < ${alpha}. Every gene is in the linked file.`;
    tables.push({ id: 'genes_positive', title: `Top genes, positive ${byZ ? 'Z' : 'weight'}`, file: 'tables/pls_genes.csv', note: note('largest'), columns: cols, survivorLabel: `q < ${alpha}`, rows: pos.map(row) });
    tables.push({ id: 'genes_negative', title: `Top genes, negative ${byZ ? 'Z' : 'weight'}`, file: 'tables/pls_genes.csv', note: note('most negative'), columns: cols, survivorLabel: `q < ${alpha}`, rows: neg.map(row) });
  }

  // regions
  if (regions.length) {
    const stat = r.parcellation?.statistic ?? 'value';
    const mapId = painted.maps[0]?.id;
    tables.push({
      id: 'regions',
      title: 'Regions',
      file: fileOf('tables/regions.csv'),
      note: `The response (${r.parcellation ? `regional ${stat} of inputs.map` : 'inputs.regionValues'}) and PLS1 score of every region; ✓: used in the PLS.${painted.centres ? ' Click a row to show the region in the viewer.' : ''}`,
      columns: ['region', r.parcellation ? `${stat}` : 'value', 'voxels', 'status', 'PLS1 score'],
      survivorLabel: 'used',
      rows: regions.map((x) => {
        const mm = painted.centres?.get(x.region);
        return { cells: [x.region, r4(x.value), num(x.nVoxels), x.status, r4(x.score)], survives: x.status === 'used', ...(mm && mapId ? { peakMm: mm, map: mapId } : {}) };
      }),
    });
  }

  // map–map correlations and the per-gene spin test
  if (r.correlations?.length) {
    tables.push({
      id: 'correlations',
      title: 'Map–map correlations',
      file: fileOf('tables/correlations.csv'),
      note: 'Pearson r and Spearman ρ of the response with each map over the regions both cover; two-sided spin p (the response spun). ✓: spin p (r) ≤ 0.05.',
      columns: ['map', 'regions', 'r', 'ρ', 'spin p (r)', 'spin p (ρ)', 'spins'],
      survivorLabel: 'p ≤ .05',
      rows: r.correlations.map((c) => ({ cells: [c.name, c.n, r4(c.r), r4(c.rho), fmtP(c.pSpin), fmtP(c.pSpinRho), c.nSpin], ...(c.pSpin !== null ? { survives: c.pSpin <= 0.05 } : {}) })),
    });
  }
  const gcText = has('tables/gene_correlations.csv') ? await readText(src, 'tables/gene_correlations.csv') : undefined;
  if (gcText) {
    const { header, rows } = parseDelimited(gcText);
    const c = (n: string) => header.indexOf(n);
    const top = rows.map((x) => ({ x, p: Number(x[c('pSpin')]) })).filter((e) => Number.isFinite(e.p)).sort((a, b) => a.p - b.p).slice(0, TOP_GENES);
    tables.push({
      id: 'gene_spin',
      title: 'Per-gene spin test (smallest p)',
      file: 'tables/gene_correlations.csv',
      note: `Each gene's Pearson r with the response against the spun responses (two-sided), BH FDR across the ${rows.length} genes; the ${TOP_GENES} smallest p shown. ✓: q < ${alpha}.`,
      columns: ['gene', 'r', 'spin p', 'FDR q'],
      survivorLabel: `q < ${alpha}`,
      rows: top.map(({ x }) => ({ cells: [x[c('gene')], r4(Number(x[c('r')])), fmtP(Number(x[c('pSpin')])), fmtP(Number(x[c('q')]))], survives: Number(x[c('q')]) < alpha })),
    });
  }

  // enrichment, DEGs, MCODE
  const enrText = has('tables/enrichment.csv') ? await readText(src, 'tables/enrichment.csv') : undefined;
  if (enrText) {
    const { header, rows } = parseDelimited(enrText);
    const c = (n: string) => header.indexOf(n);
    const sorted = rows.map((x) => ({ x, q: Number(x[c('q')]), p: Number(x[c('p')]) })).sort((a, b) => a.q - b.q || a.p - b.p).slice(0, TOP_ROWS);
    tables.push({
      id: 'enrichment',
      title: 'Enrichment (over-representation)',
      file: 'tables/enrichment.csv',
      note: `Hypergeometric upper tail of each gene list in each set (background = the genes tested), BH FDR per library${r.enrichment ? `; lists: ${r.enrichment.rule}` : ''}. The ${Math.min(TOP_ROWS, rows.length)} smallest q of ${rows.length} rows; ✓: q < ${alpha}.`,
      columns: ['list', 'library', 'set', 'overlap', 'set size', 'expected', 'fold', 'p', 'FDR q'],
      survivorLabel: `q < ${alpha}`,
      rows: sorted.map(({ x, q }) => ({ cells: [x[c('list')], x[c('library')], x[c('set')], num(x[c('overlap')]), num(x[c('setSize')]), r4(Number(x[c('expected')])), r4(Number(x[c('foldEnrichment')])), fmtP(Number(x[c('p')])), fmtP(q)], survives: q < alpha })),
    });
  }
  const degText = has('tables/deg.csv') ? await readText(src, 'tables/deg.csv') : undefined;
  if (degText) {
    const { header, rows } = parseDelimited(degText);
    const c = (n: string) => header.indexOf(n);
    const degs = rows.filter((x) => x[c('deg')] !== '' && x[c('deg')] !== undefined);
    const shown = degs.map((x) => ({ x, p: Number(x[c('pvalue')]) })).sort((a, b) => a.p - b.p).slice(0, TOP_ROWS);
    tables.push({
      id: 'deg',
      title: 'Differentially expressed genes',
      file: 'tables/deg.csv',
      note: `${r.deg ? `${r.deg.method}; ${r.deg.test} vs ${r.deg.reference}: ` : ''}${degs.length} DEG(s) of ${rows.length} genes (the ${shown.length} smallest p shown; every gene in the file).`,
      columns: ['gene', 'base mean', 'log2 FC', 'lfcSE', 'stat', 'p', 'padj', 'direction'],
      rows: shown.map(({ x }) => ({ cells: [x[c('gene')], r4(Number(x[c('baseMean')])), r4(Number(x[c('log2FoldChange')])), r4(Number(x[c('lfcSE')])), r4(Number(x[c('stat')])), fmtP(Number(x[c('pvalue')])), fmtP(Number(x[c('padj')])), x[c('deg')]] })),
    });
    if (r.deg && Object.keys(r.deg.overlaps).length) {
      tables.push({
        id: 'deg_overlaps',
        title: 'DEGs in the PLS gene lists',
        columns: ['PLS list', 'DEGs in it', 'expected', 'p (hypergeometric)'],
        rows: Object.entries(r.deg.overlaps).map(([l, o]) => ({ cells: [l, o.genes, r4(o.expected), fmtP(o.p)] })),
      });
    }
  }
  const mcText = has('tables/mcode.csv') ? await readText(src, 'tables/mcode.csv') : undefined;
  if (mcText) {
    const { header, rows } = parseDelimited(mcText);
    const c = (n: string) => header.indexOf(n);
    tables.push({
      id: 'mcode',
      title: 'MCODE clusters of the interaction network',
      file: 'tables/mcode.csv',
      note: r.mcode ? `Interactions among the ${r.mcode.list} genes (${r.mcode.genes} genes, ${r.mcode.edges} edges).` : undefined,
      columns: ['cluster', 'score', 'size', 'edges', 'density', 'seed', 'members'],
      rows: rows.map((x) => {
        const members = (x[c('members')] ?? '').split(';');
        return { cells: [num(x[c('cluster')]), r4(Number(x[c('score')])), num(x[c('size')]), num(x[c('edges')]), r4(Number(x[c('density')])), x[c('seed')], members.length > 12 ? `${members.slice(0, 12).join(', ')}, … (${members.length})` : members.join(', ')] };
      }),
    });
  }
  return { maps, tables, plots, summary, warnings };
}
