/**
 * The reducer's cohort outputs (issue 15), written through the reducer's own output writer:
 * Table 1 (tables/demographics.csv, and one per subgroup analysis), each contrast's
 * cluster × region and cluster-values tables, the deviation maps, and the lines they add to
 * the methods text and result.json.
 */
import { parseTable, type Table } from '../../jobs/table.ts';
import { readUri, resolveRef } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { demographicsCsv, demographicsMethodsText, type DemographicsResult } from '../../stats/demographics.ts';
import { fContrastModel, type FContrastModel } from '../../stats/fcontrast.ts';
import { compareDeviationGroups, deviationMaps, groupMeanMap } from '../../stats/deviation.ts';
import { clusterRegions, clusterRegionsCsv, clusterValues, clusterValuesCsv } from '../../volume/cluster-regions.ts';
import type { Cluster } from '../../volume/clusters.ts';
import type { LabelTable } from '../../volume/atlas-labels.ts';
import { f32 } from '../common/bytes.ts';
import { keys, type GlmContext } from './context.ts';
import { readParticipants, type ModelSpec, type Participant } from './design.ts';
import { declaresMni, demographicsOf, deviationCovariates, deviationSubjects, regionAtlas, tableOf, type RegionAtlas } from './cohort.ts';
import { readHeaderAt } from '../common/header.ts';
import type { AnalysisSummary, DeviationSummary, GlmResult } from './result.ts';

export function fModelOf(spec: ModelSpec): FContrastModel {
  return fContrastModel(Float64Array.from(spec.X), spec.n, spec.p, spec.rows!.map((r) => Float64Array.from(r)), spec.name);
}

type Put = (rel: string, body: Uint8Array | string) => Promise<void>;
type WriteMap = (rel: string, data: Float32Array, description: string) => Promise<void>;

export interface CohortOutputs {
  atlas: RegionAtlas | null;
  participants: Participant[];
  table: Table;
  /** every subject's prepared map, n × V (loaded on first use) */
  data(): Promise<Float32Array>;
  analyses: Record<string, AnalysisSummary>;
  finish(put: Put, writeMap: WriteMap): Promise<Pick<GlmResult, 'demographics' | 'analyses' | 'deviation' | 'clusterAtlas' | 'minClusterVoxels'>>;
  methods(r: GlmResult): string;
}

const r4 = (x: number) => Number(x.toFixed(4));

export async function cohortOutputs(
  env: TaskEnv,
  ctx: GlmContext,
  mask: Uint8Array,
  userAtlas?: ArrayLike<number>,
  userLabels?: LabelTable,
): Promise<CohortOutputs> {
  const p = ctx.job.params;
  const source = ctx.job.inputs.participants;
  const baseUri = ctx.jobUri.slice(0, ctx.jobUri.lastIndexOf('/') + 1);
  const table = parseTable(new TextDecoder().decode(await readUri(resolveRef(source, baseUri))), source);
  const participants = readParticipants(table, ctx.job.inputs.mapColumn, source);
  // the default bundled atlas is resampled off its grids when the maps declare MNI space; a user's atlas on another grid is resampled
  const first = await readHeaderAt(ctx.subjects[0]!.map, 'subject map');
  const userGrid = userAtlas && ctx.atlasUri ? await readHeaderAt(ctx.atlasUri, 'inputs.atlas') : undefined;
  const atlas = regionAtlas(
    p,
    ctx.grid.dims,
    ctx.grid.affine,
    userAtlas ? { labels: userAtlas, table: userLabels, ...(userGrid ? { grid: userGrid } : {}) } : undefined,
    { mni: declaresMni(first) },
  );
  const [nx, ny, nz] = ctx.grid.dims;
  const V = nx * ny * nz;
  let Y: Promise<Float32Array> | undefined;
  const load = async () => {
    const all = new Float32Array(ctx.subjects.length * V);
    // the reads overlap, a few at a time (memory: one map each in flight beside the n × V block)
    const next = { i: 0 };
    const reader = async () => {
      for (let i = next.i++; i < ctx.subjects.length; i = next.i++) all.set(f32(await env.store.get(keys.prepared(ctx.workDir, i))), i * V);
    };
    await Promise.all(Array.from({ length: Math.min(8, ctx.subjects.length) }, reader));
    return all;
  };
  const data = () => (Y ??= load());
  const analyses: Record<string, AnalysisSummary> = {};
  for (const a of p.analyses) {
    const pool = [...new Set(ctx.models.filter((m) => m.analysis === a.name).flatMap((m) => m.subjects))].sort((x, y) => x - y);
    const groups: Record<string, number> = {};
    for (const i of pool) groups[participants[i]!.group] = (groups[participants[i]!.group] ?? 0) + 1;
    analyses[a.name] = { filter: a.filter, referenceGroups: a.referenceGroups ?? [], nSubjects: pool.length, groups, subjects: pool.map((i) => participants[i]!.id), demographics: null, contrasts: {} };
  }
  let main: DemographicsResult | null = null;
  let deviation: DeviationSummary | undefined;

  return {
    atlas,
    participants,
    table,
    data,
    analyses,
    async finish(put, writeMap) {
      main = demographicsOf(table, p, ctx.job.inputs.mapColumn, source);
      if (main) await put('tables/demographics.csv', demographicsCsv(main));
      for (const [name, a] of Object.entries(analyses)) {
        const idx = a.subjects.map((id) => participants.findIndex((q) => q.id === id));
        a.demographics = demographicsOf(tableOf(participants, table.columns, idx), p, ctx.job.inputs.mapColumn, `${source} (analysis ${name})`);
        if (a.demographics) await put(`analyses/${name}/tables/demographics.csv`, demographicsCsv(a.demographics));
      }
      if (p.deviation) deviation = await writeDeviation(ctx, participants, await data(), mask, V, writeMap);
      return {
        demographics: main,
        ...(p.analyses.length ? { analyses } : {}),
        ...(deviation ? { deviation } : {}),
        clusterAtlas: atlas ? atlas.source : null,
        minClusterVoxels: p.minClusterVoxels,
      };
    },
    methods(r) {
      const parts: string[] = [];
      if (main) parts.push(demographicsMethodsText(main));
      parts.push(
        p.minClusterVoxels > 0
          ? `Clusters smaller than ${p.minClusterVoxels} voxels were not reported (applied after correction).`
          : 'Every cluster surviving correction is reported.',
      );
      parts.push(
        atlas
          ? `Clusters were broken into atlas regions (voxels per region, the region's peak) with ${atlas.source}.`
          : 'No atlas was applied to the cluster region tables (no atlas was given, and the data are neither on a bundled MNI grid nor declared in MNI space).',
      );
      const fs = Object.entries(r.contrasts).filter(([, c]) => c.kind === 'F');
      if (fs.length) {
        parts.push(
          `F-contrasts (${fs.map(([n, c]) => `${n}: F(${c.df!.join(', ')})`).join('; ')}) were converted to z through the F tail probability and ` +
            'tested one-sided (GRF one-tailed on z).',
        );
      }
      for (const [name, a] of Object.entries(r.analyses ?? {})) {
        parts.push(
          `Subgroup analysis ${name} (${Object.entries(a.filter).map(([c, v]) => `${c} = ${Array.isArray(v) ? v.join(' or ') : v}`).join(', ')}` +
            `${a.referenceGroups.length ? `, with all of ${a.referenceGroups.join(', ')}` : ''}; ${Object.entries(a.groups).map(([g, n]) => `${g} n=${n}`).join(', ')}) ` +
            `shared the prepared maps: ${Object.entries(a.contrasts).map(([n, c]) => `${n} ${c.clusters.length} cluster(s)`).join(', ')}.`,
        );
      }
      if (r.deviation) {
        const d = r.deviation;
        parts.push(
          `Deviation maps: each patient's voxelwise z against the ${d.reference} group (n=${d.nReference}; mean and SD of the reference` +
            `${d.covariates.length ? ` after regressing ${d.covariates.join(', ')}` : ''}), averaged per group (${d.patients.map((g) => `${g.group} n=${g.n}`).join(', ')})` +
            `${d.comparison ? `; the two groups' deviation maps were compared by a two-sample t-test (df ${d.comparison.df})` : ''}.`,
        );
      }
      return ' ' + parts.join(' ');
    },
  };
}

/** The cluster × region table and the subjects' cluster means of one contrast. */
export async function regionAndValueTables(
  cohort: CohortOutputs,
  spec: ModelSpec,
  stat: Float32Array,
  dims: readonly [number, number, number],
  affine: Float64Array,
  clusters: { c: Cluster; tail: '+' | '-' }[],
  statName: 't' | 'F',
): Promise<{ regions: string; values: string; rows: number }> {
  // numbered as in tables/<contrast>_clusters.csv (both tails in one list)
  const numbered = clusters.map((x, ci) => ({ ...x.c, id: ci + 1, tail: x.tail }));
  const V = dims[0] * dims[1] * dims[2];
  const rows = clusterRegions(stat, dims, affine, numbered, cohort.atlas ? cohort.atlas.labels : new Int32Array(V), cohort.atlas ? cohort.atlas.table : new Map());
  const ids = spec.subjects.map((i) => cohort.participants[i]!.id);
  let vals: Float64Array = new Float64Array(0);
  if (numbered.length) {
    // only the clusters' voxels of the contrast's subjects (not n whole maps): the same values, summed in the same order
    const { Y, clusters: compact } = clusterVoxelRows(await cohort.data(), V, spec.subjects, numbered);
    vals = clusterValues(Y, spec.n, Y.length / spec.n, compact);
  }
  return { regions: clusterRegionsCsv(rows, statName), values: clusterValuesCsv(ids, numbered, vals), rows: rows.length };
}

/**
 * The subjects' values at the clusters' voxels only: rows `subjects` of the n × V maps `Y`, cut
 * to the union of the clusters' voxels (ascending), with each cluster's indices renumbered into
 * it (their order kept), so per-cluster sums visit the same values in the same order.
 */
export function clusterVoxelRows<C extends Cluster>(Y: Float32Array, V: number, subjects: readonly number[], clusters: C[]): { Y: Float32Array; clusters: C[] } {
  const at = new Int32Array(V).fill(-1);
  for (const c of clusters) for (const v of c.indices ?? []) if (v >= 0 && v < V) at[v] = 0;
  let U = 0;
  for (let v = 0; v < V; v++) if (at[v]! === 0) at[v] = U++;
  const voxels = new Int32Array(U);
  for (let v = 0; v < V; v++) if (at[v]! >= 0) voxels[at[v]!] = v;
  const out = new Float32Array(subjects.length * U);
  subjects.forEach((s, k) => {
    const o = s * V;
    for (let u = 0; u < U; u++) out[k * U + u] = Y[o + voxels[u]!]!;
  });
  // an index outside the grid stays out of range (clusterValues names it)
  return { Y: out, clusters: clusters.map((c) => (c.indices ? { ...c, indices: Int32Array.from(c.indices, (v) => (v >= 0 && v < V ? at[v]! : U + V)) } : c)) };
}

async function writeDeviation(ctx: GlmContext, participants: Participant[], Y: Float32Array, mask: Uint8Array, V: number, writeMap: WriteMap): Promise<DeviationSummary> {
  const dev = ctx.job.params.deviation!;
  const source = ctx.job.inputs.participants;
  const { reference, patients } = deviationSubjects(participants, dev);
  const rows = (idx: number[]) => {
    const out = new Float32Array(idx.length * V);
    idx.forEach((s, k) => out.set(Y.subarray(s * V, (s + 1) * V), k * V));
    return out;
  };
  const allPatients = patients.flatMap((g) => g.subjects);
  const Z = deviationMaps({
    reference: rows(reference),
    nRef: reference.length,
    patients: rows(allPatients),
    nPat: allPatients.length,
    V,
    referenceCovariates: deviationCovariates(participants, reference, dev.covariates, source),
    patientCovariates: deviationCovariates(participants, allPatients, dev.covariates, source),
    k: dev.covariates.length,
    valid: mask,
  });
  for (let v = 0; v < V; v++) if (!mask[v]) for (let k = 0; k < allPatients.length; k++) Z[k * V + v] = 0;
  const subjectFile = (id: string) => `maps/deviation/${id.startsWith('sub-') ? id : `sub-${id}`}_z.nii.gz`;
  for (const [k, s] of allPatients.entries()) {
    await writeMap(subjectFile(participants[s]!.id), Z.slice(k * V, (k + 1) * V), `deviation z vs ${dev.reference}`);
  }
  let offset = 0;
  const groupZ: Float32Array[] = [];
  const summary: DeviationSummary = { reference: dev.reference, nReference: reference.length, covariates: dev.covariates, patients: [] };
  for (const g of patients) {
    const zg = Z.slice(offset * V, (offset + g.subjects.length) * V);
    offset += g.subjects.length;
    groupZ.push(zg);
    const mean = groupMeanMap(zg, g.subjects.length, V);
    await writeMap(`maps/deviation/${g.group}_mean_z.nii.gz`, mean, `mean deviation z of ${g.group} vs ${dev.reference}`);
    let mx = -Infinity;
    let mn = Infinity;
    for (let v = 0; v < V; v++) if (mask[v]) (mx = Math.max(mx, mean[v]!)), (mn = Math.min(mn, mean[v]!));
    summary.patients.push({ group: g.group, n: g.subjects.length, subjects: g.subjects.map((i) => participants[i]!.id), meanZRange: [r4(mn), r4(mx)] });
  }
  if (patients.length === 2) {
    const [a, b] = patients as [(typeof patients)[0], (typeof patients)[0]];
    const cmp = compareDeviationGroups(groupZ[0]!, a.subjects.length, groupZ[1]!, b.subjects.length, V, mask);
    await writeMap(`maps/deviation/${a.group}-${b.group}_t.nii.gz`, cmp.t, `t of deviation z ${a.group} - ${b.group}, df=${cmp.df}`);
    let mx = -Infinity;
    let mn = Infinity;
    for (let v = 0; v < V; v++) if (mask[v]) (mx = Math.max(mx, cmp.t[v]!)), (mn = Math.min(mn, cmp.t[v]!));
    summary.comparison = { groups: [a.group, b.group], df: cmp.df, tRange: [r4(mn), r4(mx)] };
  }
  return summary;
}
