/** Report description of a glm result (also the group step of reho). */
import { readNifti } from '../nifti/index.ts';
import { parseDelimited, readText } from './source.ts';
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
  for (const v of readNifti(b, rel).data) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
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

export async function describeGlmParts(r: GlmResultLike, src: ResultSource, extras: GlmExtras = {}, participants?: string, prefix = ''): Promise<{ maps: ReportMap[]; tables: ReportTable[]; plots: ReportPlot[]; summary: string[] }> {
  const maps: ReportMap[] = [];
  const tables: ReportTable[] = [];
  const plots: ReportPlot[] = [];
  const summary: string[] = [];
  const has = (rel: string) => src.files.includes(rel);
  const add = async (rel: string, m: Omit<ReportMap, 'nifti' | 'file'>) => {
    if (!has(rel)) return;
    const b = await src.read(rel);
    if (b) maps.push({ ...m, file: rel, nifti: b });
  };
  for (const [name, c] of Object.entries(r.contrasts)) {
    const id = (s: string) => `${prefix}${name}_${s}`;
    const grfId = id('grf');
    const nPos = c.clusters.filter((k) => k.tail === '+').length;
    const nNeg = c.clusters.length - nPos;
    const big = c.clusters[0];
    summary.push(
      `${prefix ? 'group ' : ''}${name}: ${c.clusters.length} cluster(s) survive GRF correction (z > ${c.zThreshold.toFixed(2)}, ≥ ${c.clusterSizeThreshold} voxels; ${nPos} positive, ${nNeg} negative)` +
        (big ? `; largest ${big.voxels} voxels, peak t = ${big.peakT} at MNI (${big.peakMni.join(', ')})` : `; t ranged ${c.minT.toFixed(2)} … ${c.maxT.toFixed(2)}`) +
        '.',
    );
    await add(`maps/${name}_grf.nii.gz`, { id: grfId, label: `${name}: z in GRF-surviving clusters`, kind: 'cluster', mosaic: c.clusters.length > 0, legend: `z of voxels in clusters surviving GRF (z > ${c.zThreshold.toFixed(3)}, k ≥ ${c.clusterSizeThreshold})` });
    await add(`maps/${name}_z.nii.gz`, { id: id('z'), label: `${name}: z (uncorrected)`, kind: 'z', threshold: c.zThreshold, mosaic: c.clusters.length === 0, legend: `z, DOF ${c.dof}, shown at the GRF cluster-forming z` });
    // t and p carry what z does (same tail probability): linked under Files, not embedded, to keep the report small
    const q = c.permutation;
    const clusterMap = has(`maps/${name}_grf.nii.gz`) ? grfId : id('z');
    const hasPerm = c.clusters.some((k) => k.pFweExtent !== undefined || k.pFweMass !== undefined);
    tables.push({
      id: id('clusters'),
      title: `${name}: clusters (GRF)`,
      file: has(`tables/${name}_clusters.csv`) ? `tables/${name}_clusters.csv` : undefined,
      note: `Every cluster listed survives GRF correction at cluster p < 0.05${hasPerm ? '; FWE p columns are the permutation p of the permutation cluster holding its peak' : ''}.`,
      columns: ['#', 'tail', 'voxels', 'mm³', 'peak t', 'peak z', 'x', 'y', 'z', 'label', ...(hasPerm ? ['FWE p (extent)', 'FWE p (mass)'] : [])],
      survivorLabel: 'GRF',
      rows: c.clusters.map((k, i) => ({
        cells: [i + 1, k.tail, k.voxels, k.volumeMm3, k.peakT, k.peakZ, ...k.peakMni, k.label, ...(hasPerm ? [fmtP(k.pFweExtent), fmtP(k.pFweMass)] : [])],
        survives: true,
        peakMm: k.peakMni,
        map: clusterMap,
      })),
    });
    if (q) {
      for (const stat of q.statistics) await add(`maps/${name}_${stat}_fwep.nii.gz`, { id: id(`${stat}_fwep`), label: `${name}: 1 − FWE p (${stat})`, kind: 'oneMinusP', legend: `1 − FWE-corrected p by ${stat}, ${q.permutations} permutations; ≥ 0.95 is p ≤ 0.05` });
      await add(`maps/${name}_fdrp.nii.gz`, { id: id('fdrp'), label: `${name}: 1 − FDR q`, kind: 'oneMinusP', legend: '1 − Benjamini–Hochberg q; ≥ 0.95 is q ≤ 0.05' });
      const best = q.statistics.map((s) => [s, q.minFweP[s]!] as const).sort((a, b) => a[1] - b[1])[0];
      summary.push(`${prefix ? 'group ' : ''}${name}: ${q.permutations} permutations${q.exhaustive ? ' (exhaustive)' : ''}; ${q.clusters.filter((k) => Math.min(k.pFweExtent, k.pFweMass) <= 0.05).length} permutation cluster(s) with FWE p ≤ 0.05${best ? `; smallest FWE p ${fmtP(best[1])} (${best[0]})` : ''}; ${q.voxelsFdr05} voxels with FDR q ≤ 0.05.`);
      tables.push({
        id: id('perm_clusters'),
        title: `${name}: clusters (permutation, |z| ≥ ${q.clusterFormingZ.toFixed(2)})`,
        file: has(`tables/${name}_permutation_clusters.csv`) ? `tables/${name}_permutation_clusters.csv` : undefined,
        note: 'Marked ✓ when the extent or mass FWE p ≤ 0.05.',
        columns: ['#', 'voxels', 'mm³', 'mass (Σz)', 'peak t', 'peak z', 'x', 'y', 'z', 'label', 'FWE p (extent)', 'FWE p (mass)'],
        survivorLabel: 'FWE ≤ .05',
        rows: q.clusters.map((k, i) => ({ cells: [i + 1, k.voxels, k.volumeMm3, k.mass, k.peakT, k.peakZ, ...k.peakMni, k.label, fmtP(k.pFweExtent), fmtP(k.pFweMass)], survives: Math.min(k.pFweExtent, k.pFweMass) <= 0.05, peakMm: k.peakMni, map: id('z') })),
      });
      for (const stat of q.statistics) {
        const quant = q.nullQuantiles[stat];
        if (!quant) continue;
        let observed: number | undefined;
        if (stat === 'maxT') observed = Math.max(Math.abs(c.maxT), Math.abs(c.minT)) > 0 ? await mapMax(src, `maps/${name}_z.nii.gz`) : undefined;
        else if (stat === 'clusterExtent') observed = q.clusters.reduce((m, k) => Math.max(m, k.voxels), 0);
        else if (stat === 'clusterMass') observed = q.clusters.reduce((m, k) => Math.max(m, k.mass), 0);
        else if (stat === 'tfce') observed = await mapMax(src, `maps/${name}_tfce.nii.gz`);
        const values = extras.nulls?.[name]?.[stat];
        const plot: NullPlot = {
          type: 'null',
          id: id(`null_${stat}`),
          title: `${name}: permutation null of the ${STAT_LABEL[stat] ?? stat}`,
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
    const design = extras.design?.[name] ?? (participants ? designFromTable(participants, c.columns) : undefined);
    const matrix: MatrixPlot = {
      type: 'matrix',
      id: id('design'),
      title: `${name}: design matrix and contrast`,
      columns: c.columns,
      values: design?.rows ?? [],
      ...(design?.subjects ? { rowLabels: design.subjects } : {}),
      contrasts: [{ name, vector: c.contrast }],
      note: design ? `${design.rows.length} subjects × ${c.columns.length} columns, each column scaled to its range; contrast: red +, blue −.` : 'the participants table is not readable here: contrast only.',
    };
    plots.push(matrix);
  }
  return { maps, tables, plots, summary };
}
