/**
 * The cohort parts of a glm result (also reho's group step): Table 1 (tables/demographics.csv),
 * one report section per subgroup analysis (`analyses/<name>/…`: its contrasts, clusters,
 * cluster × region rows and its own Table 1), the deviation maps (group mean z against the
 * reference group, the comparison of two patient groups) and cluster-value correlation tables.
 */
import { describeGlmParts } from './glm.ts';
import type { GlmResultLike } from './glm.ts';
import { genericTable, parseDelimited, readText } from './source.ts';
import type { ResultSource } from './source.ts';
import type { ReportMap, ReportPlot, ReportSection, ReportTable } from './types.ts';

/** The cohort fields of a glm result.json the report reads (all optional: older results have none). */
export interface CohortResultLike extends GlmResultLike {
  demographics?: { groups: string[]; variables: { name: string; kind: string; test: string; p: number | null }[]; pairwise: { name: string; groups: [string, string]; test: string; p: number | null }[] } | null;
  analyses?: Record<string, { filter: Record<string, unknown>; referenceGroups: string[]; nSubjects: number; groups: Record<string, number>; demographics?: unknown; contrasts: GlmResultLike['contrasts'] }>;
  deviation?: { reference: string; nReference: number; covariates: string[]; patients: { group: string; n: number; subjects: string[]; meanZRange: [number, number] }[]; comparison?: { groups: [string, string]; df: number; tRange: [number, number] } };
}

export interface CohortParts {
  maps: ReportMap[];
  tables: ReportTable[];
  plots: ReportPlot[];
  summary: string[];
  sections: ReportSection[];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const fmtP = (p: number | null | undefined) => (p === null || p === undefined || !Number.isFinite(p) ? '' : p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(3))));
const filterText = (f: Record<string, unknown>) =>
  Object.entries(f)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? `in {${v.join(', ')}}` : `== "${String(v)}"`}`)
    .join(' and ');

/** Table 1 as tables/demographics.csv states it (mean ± SD (n) or n (%) per group, the test, its statistic, df and p). */
function demographicsTable(id: string, title: string, rel: string, csv: string, section?: string): ReportTable {
  const { header, rows } = parseDelimited(csv);
  const pi = header.indexOf('p');
  return {
    id,
    title,
    file: rel,
    ...(section ? { section } : {}),
    note: 'Continuous variables: mean ± SD (n) per group; categorical: n (%) per level. The test column names the test used for each variable (one-way ANOVA or Kruskal–Wallis; Pearson χ² or Fisher\'s exact test); "pairwise" rows are Mann–Whitney U tests between two groups.',
    columns: header,
    rows: rows.map((r) => ({ cells: r.map((c, i) => (i === pi && c !== '' && Number.isFinite(Number(c)) ? Number(c) : c)) })),
  };
}

export async function describeCohortParts(r: CohortResultLike, src: ResultSource, participants?: string): Promise<CohortParts> {
  const has = (rel: string) => src.files.includes(rel);
  const out: CohortParts = { maps: [], tables: [], plots: [], summary: [], sections: [] };

  // Table 1
  const demo = has('tables/demographics.csv') ? await readText(src, 'tables/demographics.csv') : undefined;
  if (demo) out.tables.unshift(demographicsTable('demographics', 'Table 1: demographics and clinical characteristics', 'tables/demographics.csv', demo));
  if (r.demographics) {
    const d = r.demographics;
    out.summary.push(`Table 1: ${d.variables.length} variable(s) across ${d.groups.join(', ')} (${d.variables.map((v) => `${v.name}: ${v.test}, p = ${fmtP(v.p)}`).join('; ')})${d.pairwise.length ? `; ${d.pairwise.length} pairwise Mann–Whitney U test(s)` : ''}.`);
  }

  // subgroup analyses, one section each
  for (const [name, a] of Object.entries(r.analyses ?? {})) {
    const section = `analysis-${safe(name)}`;
    const dir = `analyses/${name}/`;
    out.sections.push({
      id: section,
      title: `Subgroup analysis ${name}`,
      note: `${a.nSubjects} subjects selected by ${filterText(a.filter) || 'no filter'}${a.referenceGroups.length ? ` (reference group${a.referenceGroups.length > 1 ? 's' : ''} ${a.referenceGroups.join(', ')} kept whole)` : ''}: ${Object.entries(a.groups).map(([g, n]) => `${g} ${n}`).join(', ')}. Its maps and tables are under ${dir}; the same prepared (smoothed) maps as the main analysis.`,
    });
    const parts = await describeGlmParts({ contrasts: a.contrasts, minClusterVoxels: r.minClusterVoxels, clusterAtlas: r.clusterAtlas }, src, {}, participants, `${safe(name)}__`, { dir, section, title: name });
    out.maps.push(...parts.maps);
    out.plots.push(...parts.plots);
    out.summary.push(...parts.summary);
    // the compact list first: one row per contrast with its largest cluster
    out.tables.push({
      id: `${safe(name)}__contrasts`,
      title: `${name}: contrasts`,
      section,
      note: 'One row per contrast of this analysis; its cluster tables follow, every map is linked under Files.',
      columns: ['contrast', 'subjects', 'DOF', 'clusters (GRF)', 'largest (voxels)', 'peak t', 'x', 'y', 'z', 'label'],
      survivorLabel: 'clusters',
      rows: Object.entries(a.contrasts).map(([cn, c]) => {
        const k = c.clusters[0];
        return { cells: [cn, c.nSubjects, c.dof, c.clusters.length, k?.voxels ?? '', k?.peakT ?? '', ...(k ? k.peakMni : ['', '', '']), k?.label ?? ''], survives: c.clusters.length > 0, ...(k ? { peakMm: k.peakMni, ...(has(`${dir}maps/${cn}_grf.nii.gz`) ? { map: `${safe(name)}__${cn}_grf` } : {}) } : {}) };
      }),
    });
    out.tables.push(...parts.tables);
    const ademo = has(`${dir}tables/demographics.csv`) ? await readText(src, `${dir}tables/demographics.csv`) : undefined;
    if (ademo) out.tables.push(demographicsTable(`${safe(name)}__demographics`, `${name}: Table 1`, `${dir}tables/demographics.csv`, ademo, section));
  }

  // deviation maps
  const dev = r.deviation;
  if (dev) {
    const section = 'deviation';
    out.sections.push({
      id: section,
      title: 'Deviation maps',
      note: `Each patient's voxelwise z against the ${dev.nReference} subjects of ${dev.reference} (their mean and SD${dev.covariates.length ? `, after regressing ${dev.covariates.join(', ')} in the reference group` : ''}), averaged per patient group; per-subject maps are under maps/deviation/.`,
    });
    for (const p of dev.patients) {
      const rel = `maps/deviation/${p.group}_mean_z.nii.gz`;
      const b = has(rel) ? await src.read(rel) : undefined;
      if (b) out.maps.push({ id: `deviation_${safe(p.group)}_mean_z`, label: `${p.group}: mean deviation z vs ${dev.reference}`, kind: 'z', threshold: 1, mosaic: true, section, file: rel, nifti: b, legend: `mean over the ${p.n} ${p.group} patients of their z against ${dev.reference}, shown at |z| ≥ 1` });
    }
    const cmp = dev.comparison;
    const cmpRel = cmp ? `maps/deviation/${cmp.groups[0]}-${cmp.groups[1]}_t.nii.gz` : undefined;
    if (cmp && cmpRel && has(cmpRel)) {
      const b = await src.read(cmpRel);
      if (b) out.maps.push({ id: `deviation_${safe(cmp.groups[0])}-${safe(cmp.groups[1])}_t`, label: `deviation z: ${cmp.groups[0]} − ${cmp.groups[1]} (t, df ${cmp.df})`, kind: 't', threshold: 2, section, file: cmpRel, nifti: b, legend: `two-sample t of the deviation maps, df ${cmp.df}, shown at |t| ≥ 2` });
    }
    out.tables.push({
      id: 'deviation',
      title: 'Deviation maps per patient group',
      section,
      columns: ['group', 'patients', `reference (${dev.reference})`, 'mean z min', 'mean z max', 'map'],
      rows: [
        ...dev.patients.map((p) => ({ cells: [p.group, p.n, dev.nReference, Number(p.meanZRange[0].toPrecision(4)), Number(p.meanZRange[1].toPrecision(4)), `maps/deviation/${p.group}_mean_z.nii.gz`] })),
        ...(cmp ? [{ cells: [`${cmp.groups[0]} − ${cmp.groups[1]} (t, df ${cmp.df})`, '', '', Number(cmp.tRange[0].toPrecision(4)), Number(cmp.tRange[1].toPrecision(4)), cmpRel ?? ''] }] : []),
      ],
    });
    out.summary.push(`Deviation maps: ${dev.patients.map((p) => `${p.group} (${p.n}) mean z ${p.meanZRange[0].toFixed(2)} … ${p.meanZRange[1].toFixed(2)}`).join(', ')} against ${dev.reference} (${dev.nReference})${cmp ? `; ${cmp.groups[0]} − ${cmp.groups[1]} t ${cmp.tRange[0].toFixed(2)} … ${cmp.tRange[1].toFixed(2)} (df ${cmp.df})` : ''}.`);
  }

  // correlations of cluster values (e.g. GMV vs ReHo), when a stage wrote them
  for (const rel of src.files.filter((f) => /^tables\/[^/]*correlation[^/]*\.csv$/.test(f))) {
    const s = await readText(src, rel);
    if (s) out.tables.push(genericTable(safe(rel), rel.replace(/^tables\//, '').replace(/\.csv$/, '').replace(/_/g, ' '), rel, s));
  }
  return out;
}
