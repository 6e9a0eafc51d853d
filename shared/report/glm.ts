/** Report description of a glm result (also the group step of reho). */
import { genericTable, niftiOf, parseDelimited, readText } from './source.ts';
import type { ResultSource } from './source.ts';
import type { MatrixPlot, NullPlot, ReportMap, ReportPlot, ReportTable } from './types.ts';

/** The parts of a glm result.json the report reads. */
export interface GlmResultLike {
  contrasts: Record<
    string,
    {
      dof: number;
      nSubjects: number;
      columns: string[];
      contrast: number[];
      /** F-contrast rows */
      rows?: number[][];
      /** params.minClusterVoxels as applied after correction */
      minClusterVoxels?: number;
      kind?: 'F';
      maxT: number;
      minT: number;
      zThreshold: number;
      clusterSizeThreshold: number;
      fwhmMm: number[];
      clusters: { tail: string; voxels: number; volumeMm3: number; peakT: number; peakZ: number; peakMni: [number, number, number]; label: string; pFweExtent?: number | null; pFweMass?: number | null }[];
      permutation?: {
        permutations: number;
        exhaustive: boolean;
        statistics: string[];
        clusterFormingZ: number;
        nullQuantiles: Record<string, { q95: number; q99: number }>;
        minFweP: Record<string, number>;
        voxelsFwe05: Record<string, number>;
        voxelsFdr05: number;
        clusters: { voxels: number; volumeMm3: number; mass: number; peakT: number; peakZ: number; peakMni: [number, number, number]; label: string; pFweExtent: number; pFweMass: number }[];
      };
    }
  >;
  mask?: { voxels: number };
  methods?: string;
  minClusterVoxels?: number;
  clusterAtlas?: string | null;
}

export interface GlmExtras {
  /** the design matrix rows (subjects × columns) per contrast, with subject ids */
  design?: Record<string, { rows: number[][]; subjects?: string[] }>;
  /** null distribution values per contrast and statistic (maxima over the map per permutation) */
  nulls?: Record<string, Record<string, ArrayLike<number>>>;
}

const STAT_LABEL: Record<string, string> = { maxT: 'maximum |z|', clusterExtent: 'largest cluster (voxels)', clusterMass: 'largest cluster mass (Σz)', tfce: 'maximum TFCE' };
const fmtP = (p: number | null | undefined) => (p === null || p === undefined ? '' : p < 0.001 ? p.toExponential(1) : Number(p.toFixed(4)));

async function mapMax(src: ResultSource, rel: string): Promise<number | undefined> {
  const b = await src.read(rel);
  if (!b) return undefined;
  let m = 0;
  for (const v of niftiOf(b, rel).data) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** Design rows of a contrast from the participants table: group indicators (cell means), then covariates as columns of the same name. */
export function designFromTable(table: string, columns: string[], groupColumn = 'group'): { rows: number[][]; subjects: string[] } | undefined {
  const { header, rows } = parseDelimited(table);
  const gi = header.indexOf(groupColumn);
  const id = header.indexOf('participant_id');
  if (gi < 0) return undefined;
  const groups = new Set(rows.map((r) => r[gi]!));
  const usedGroups = columns.filter((c) => groups.has(c));
  const out: number[][] = [];
  const subjects: string[] = [];
  for (const r of rows) {
    if (usedGroups.length && !usedGroups.includes(r[gi]!)) continue;
    const row: number[] = [];
    for (const c of columns) {
      if (groups.has(c)) row.push(r[gi] === c ? 1 : 0);
      else {
        const ci = header.indexOf(c);
        // dummy columns of a categorical covariate are named "<column>=<level>" or "<column>_<level>"
        const m = ci < 0 ? header.map((h, k) => [h, k] as const).find(([h]) => c.startsWith(h) && /^[=_:]/.test(c.slice(h.length))) : undefined;
        if (ci >= 0 && Number.isFinite(Number(r[ci]))) row.push(Number(r[ci]));
        else if (m) row.push(r[m[1]] === c.slice(m[0].length + 1) ? 1 : 0);
        else return undefined;
      }
    }
    out.push(row);
    subjects.push(id >= 0 ? r[id]! : String(out.length));
  }
  return out.length ? { rows: out, subjects } : undefined;
}

/** Where a set of contrasts lives inside the result folder: a subgroup analysis (`analyses/<name>/`) shown in its own report section. */
export interface GlmScope {
  /** folder of its maps/ and tables/, with a trailing slash (e.g. "analyses/TLE/") */
  dir: string;
  /** report section id its mosaics and tables go to */
  section: string;
  /** prefix of its summary lines and titles (e.g. "TLE") */
  title: string;
}

/** Per cluster of tables/<contrast>_cluster_values.csv: subjects, mean ± SD over all and per group (when the participants table gives groups). */
export function clusterValueSummary(csv: string, participants?: string, groupColumn = 'group'): { columns: string[]; rows: (string | number)[][] } {
  const { header, rows } = parseDelimited(csv);
  const groupOf = new Map<string, string>();
  if (participants) {
    const p = parseDelimited(participants);
    const ii = p.header.indexOf('participant_id');
    const gi = p.header.indexOf(groupColumn);
    if (ii >= 0 && gi >= 0) for (const r of p.rows) groupOf.set(r[ii]!, r[gi]!);
  }
  const groups = [...new Set(rows.map((r) => groupOf.get(r[0]!)).filter((g): g is string => !!g))].sort();
  const ms = (x: number[]) => {
    if (!x.length) return '';
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const sd = x.length > 1 ? Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1)) : 0;
    return `${Number(m.toPrecision(4))} ± ${Number(sd.toPrecision(3))} (${x.length})`;
  };
  const out = header.slice(1).map((name, k) => {
    const vals = rows.map((r) => ({ g: groupOf.get(r[0]!), v: r[k + 1] === '' ? Number.NaN : Number(r[k + 1]) })).filter((e) => Number.isFinite(e.v));
    return [name, vals.length, ms(vals.map((e) => e.v)), ...groups.map((g) => ms(vals.filter((e) => e.g === g).map((e) => e.v)))];
  });
  return { columns: ['cluster', 'subjects', 'mean ± SD (n), all', ...groups.map((g) => `${g}: mean ± SD (n)`)], rows: out };
}

export async function describeGlmParts(r: GlmResultLike, src: ResultSource, extras: GlmExtras = {}, participants?: string, prefix = '', scope?: GlmScope): Promise<{ maps: ReportMap[]; tables: ReportTable[]; plots: ReportPlot[]; summary: string[] }> {
  const maps: ReportMap[] = [];
  const tables: ReportTable[] = [];
  const plots: ReportPlot[] = [];
  const summary: string[] = [];
  const has = (rel: string) => src.files.includes(rel);
  const add = async (rel: string, m: Omit<ReportMap, 'nifti' | 'file'>) => {
    if (!has(rel)) return;
    const b = await src.read(rel);
    if (b) maps.push({ ...m, file: rel, nifti: b, ...(scope ? { section: scope.section } : {}) });
  };
  const dir = scope?.dir ?? '';
  const sec = scope ? { section: scope.section } : {};
  for (const [name, c] of Object.entries(r.contrasts)) {
    const id = (s: string) => `${prefix}${name}_${s}`;
    const title = scope ? `${scope.title}: ${name}` : name;
    const grfId = id('grf');
    const nPos = c.clusters.filter((k) => k.tail === '+').length;
    const nNeg = c.clusters.length - nPos;
    const big = c.clusters[0];
    summary.push(
      `${scope ? `${scope.title} ` : ''}${name}: ${c.clusters.length} cluster(s) survive GRF correction (z > ${c.zThreshold.toFixed(2)}, ≥ ${Math.max(c.clusterSizeThreshold, c.minClusterVoxels ?? r.minClusterVoxels ?? 0)} voxels${(c.minClusterVoxels ?? r.minClusterVoxels ?? 0) > c.clusterSizeThreshold ? ' by params.minClusterVoxels' : ''}; ${nPos} positive, ${nNeg} negative)` +
        (big ? `; largest ${big.voxels} voxels, peak t = ${big.peakT} at MNI (${big.peakMni.join(', ')})` : `; t ranged ${c.minT.toFixed(2)} … ${c.maxT.toFixed(2)}`) +
        '.',
    );
    await add(`${dir}maps/${name}_grf.nii.gz`, { id: grfId, label: `${title}: z in GRF-surviving clusters`, kind: 'cluster', mosaic: c.clusters.length > 0, legend: `z of voxels in clusters surviving GRF (z > ${c.zThreshold.toFixed(3)}, k ≥ ${Math.max(c.clusterSizeThreshold, c.minClusterVoxels ?? r.minClusterVoxels ?? 0)})` });
    // a subgroup analysis embeds its surviving clusters only (its z, t and p maps are linked under Files)
    if (!scope) await add(`maps/${name}_z.nii.gz`, { id: id('z'), label: `${name}: z (uncorrected)`, kind: 'z', threshold: c.zThreshold, mosaic: c.clusters.length === 0, legend: `z, DOF ${c.dof}, shown at the GRF cluster-forming z` });
    // t and p carry what z does (same tail probability): linked under Files, not embedded, to keep the report small
    const q = c.permutation;
    const clusterMap = has(`${dir}maps/${name}_grf.nii.gz`) ? grfId : scope ? undefined : id('z');
    const hasPerm = c.clusters.some((k) => k.pFweExtent !== undefined || k.pFweMass !== undefined);
    tables.push({
      id: id('clusters'),
      title: `${title}: clusters (GRF)`,
      ...sec,
      file: has(`${dir}tables/${name}_clusters.csv`) ? `${dir}tables/${name}_clusters.csv` : undefined,
      note: `Every cluster listed survives GRF correction at cluster p < 0.05${hasPerm ? '; FWE p columns are the permutation p of the permutation cluster holding its peak' : ''}.`,
      columns: ['#', 'tail', 'voxels', 'mm³', 'peak t', 'peak z', 'x', 'y', 'z', 'label', ...(hasPerm ? ['FWE p (extent)', 'FWE p (mass)'] : [])],
      survivorLabel: 'GRF',
      rows: c.clusters.map((k, i) => ({
        cells: [i + 1, k.tail, k.voxels, k.volumeMm3, k.peakT, k.peakZ, ...k.peakMni, k.label, ...(hasPerm ? [fmtP(k.pFweExtent), fmtP(k.pFweMass)] : [])],
        survives: true,
        peakMm: k.peakMni,
        ...(clusterMap ? { map: clusterMap } : {}),
      })),
    });
    // DPABI / xjView style: each cluster broken into its atlas regions
    const regionsRel = `${dir}tables/${name}_cluster_regions.csv`;
    const regionsCsv = has(regionsRel) ? await readText(src, regionsRel) : undefined;
    if (regionsCsv) {
      const t = genericTable(id('cluster_regions'), `${title}: clusters × atlas regions`, regionsRel, regionsCsv, clusterMap);
      tables.push({ ...t, ...sec, note: `One row per cluster and atlas region: the region's voxels in the cluster and its own peak (click a row to go there)${r.minClusterVoxels ? `; clusters smaller than ${r.minClusterVoxels} voxels are not reported` : ''}${r.clusterAtlas ? `; atlas: ${r.clusterAtlas}` : ''}.` });
    }
    const valuesRel = `${dir}tables/${name}_cluster_values.csv`;
    const valuesCsv = has(valuesRel) ? await readText(src, valuesRel) : undefined;
    if (valuesCsv && c.clusters.length) {
      const v = clusterValueSummary(valuesCsv, participants);
      tables.push({ id: id('cluster_values'), title: `${title}: cluster values per subject (summary)`, ...sec, file: valuesRel, note: 'Each subject\'s mean map value in each surviving cluster, summarised; the per-subject values (usable as a covariate or for correlation) are in the linked file.', columns: v.columns, rows: v.rows.map((cells) => ({ cells })) });
    }
    if (q) {
      for (const stat of q.statistics) await add(`${dir}maps/${name}_${stat}_fwep.nii.gz`, { id: id(`${stat}_fwep`), label: `${title}: 1 − FWE p (${stat})`, kind: 'oneMinusP', legend: `1 − FWE-corrected p by ${stat}, ${q.permutations} permutations; ≥ 0.95 is p ≤ 0.05` });
      await add(`${dir}maps/${name}_fdrp.nii.gz`, { id: id('fdrp'), label: `${title}: 1 − FDR q`, kind: 'oneMinusP', legend: '1 − Benjamini–Hochberg q; ≥ 0.95 is q ≤ 0.05' });
      const best = q.statistics.map((s) => [s, q.minFweP[s]!] as const).sort((a, b) => a[1] - b[1])[0];
      summary.push(`${scope ? `${scope.title} ` : ''}${name}: ${q.permutations} permutations${q.exhaustive ? ' (exhaustive)' : ''}; ${q.clusters.filter((k) => Math.min(k.pFweExtent, k.pFweMass) <= 0.05).length} permutation cluster(s) with FWE p ≤ 0.05${best ? `; smallest FWE p ${fmtP(best[1])} (${best[0]})` : ''}; ${q.voxelsFdr05} voxels with FDR q ≤ 0.05.`);
      tables.push({
        id: id('perm_clusters'),
        title: `${title}: clusters (permutation, |z| ≥ ${q.clusterFormingZ.toFixed(2)})`,
        ...sec,
        file: has(`${dir}tables/${name}_permutation_clusters.csv`) ? `${dir}tables/${name}_permutation_clusters.csv` : undefined,
        note: 'Marked ✓ when the extent or mass FWE p ≤ 0.05.',
        columns: ['#', 'voxels', 'mm³', 'mass (Σz)', 'peak t', 'peak z', 'x', 'y', 'z', 'label', 'FWE p (extent)', 'FWE p (mass)'],
        survivorLabel: 'FWE ≤ .05',
        rows: q.clusters.map((k, i) => ({ cells: [i + 1, k.voxels, k.volumeMm3, k.mass, k.peakT, k.peakZ, ...k.peakMni, k.label, fmtP(k.pFweExtent), fmtP(k.pFweMass)], survives: Math.min(k.pFweExtent, k.pFweMass) <= 0.05, peakMm: k.peakMni, ...(scope ? (clusterMap ? { map: clusterMap } : {}) : { map: id('z') }) })),
      });
      for (const stat of q.statistics) {
        const quant = q.nullQuantiles[stat];
        if (!quant) continue;
        let observed: number | undefined;
        if (stat === 'maxT') observed = Math.max(Math.abs(c.maxT), Math.abs(c.minT)) > 0 ? await mapMax(src, `${dir}maps/${name}_z.nii.gz`) : undefined;
        else if (stat === 'clusterExtent') observed = q.clusters.reduce((m, k) => Math.max(m, k.voxels), 0);
        else if (stat === 'clusterMass') observed = q.clusters.reduce((m, k) => Math.max(m, k.mass), 0);
        else if (stat === 'tfce') observed = await mapMax(src, `${dir}maps/${name}_tfce.nii.gz`);
        const values = extras.nulls?.[name]?.[stat];
        const plot: NullPlot = {
          type: 'null',
          id: id(`null_${stat}`),
          title: `${title}: permutation null of the ${STAT_LABEL[stat] ?? stat}`,
          xLabel: STAT_LABEL[stat] ?? stat,
          ...(values ? { values } : {}),
          thresholds: [
            { label: '95th', value: quant.q95 },
            { label: '99th', value: quant.q99 },
          ],
          ...(observed !== undefined ? { observed: [{ label: 'observed', value: observed }] } : {}),
          note: `${q.permutations} permutations; the observed value beyond the 95th percentile is FWE p < 0.05.`,
        };
        plots.push(plot);
      }
    }
    // the design matrices of a subgroup analysis are its rows of the main one: not drawn again
    if (scope) continue;
    const design = extras.design?.[name] ?? (participants ? designFromTable(participants, c.columns) : undefined);
    const matrix: MatrixPlot = {
      type: 'matrix',
      id: id('design'),
      title: `${name}: design matrix and contrast`,
      columns: c.columns,
      values: design?.rows ?? [],
      ...(design?.subjects ? { rowLabels: design.subjects } : {}),
      contrasts: c.rows?.length ? c.rows.map((v, i) => ({ name: `${name} (F row ${i + 1})`, vector: v })) : [{ name, vector: c.contrast }],
      note: design ? `${design.rows.length} subjects × ${c.columns.length} columns, each column scaled to its range; contrast: red +, blue −.` : 'the participants table is not readable here: contrast only.',
    };
    plots.push(matrix);
  }
  return { maps, tables, plots, summary };
}
