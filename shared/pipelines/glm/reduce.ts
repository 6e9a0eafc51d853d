import { finishJob, jobCost, outputWriter } from '../common/finish.ts';
import type { MapInfo } from '../common/finish.ts';
import { reportExtrasKey, writeReport } from '../common/outputs.ts';
import { readHeaderAt } from '../common/header.ts';
import { kindFromName } from '../../report/index.ts';
import { glmCounts } from './workflow.ts';
import { readMetrics } from '../../runtime/task.ts';
import { actualCost } from '../../jobs/cost.ts';
import type { CostEstimate, TaskType } from '../../jobs/cost.ts';
import { readNifti, voxelToMm } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import { grfThreshold } from '../../stats/grf.ts';
import { combinePlaneSums, estimateSmoothness } from '../../stats/smoothness.ts';
import { tToZArray, twoTailedTP } from '../../stats/distributions.ts';
import { clusterMap, findClusters } from '../../volume/clusters.ts';
import type { Cluster } from '../../volume/clusters.ts';
import { labelAtVoxel, parseLabelTable } from '../../volume/atlas-labels.ts';
import type { TaskEnv, TaskMetrics } from '../../runtime/task.ts';
import { keys, loadContext } from './context.ts';
import { f32, f64 } from '../common/bytes.ts';
import type { GlmContext } from './context.ts';
import type { MaskInfo } from './mask.ts';
import { planSlabs } from '../common/shards.ts';
import { describeGlm } from './methods.ts';
import type { ClusterRecord, ContrastResult, GlmResult, PermClusterRecord, PermutationResult } from './result.ts';
import { permutationOutcome, planPermutations } from './permute.ts';
import { toGrid } from '../../permutation/lattice.ts';
import type { Statistic } from '../../permutation/engine.ts';
import { cohortOutputs, fModelOf, regionAndValueTables } from './cohort-reduce.ts';
import { outputPrefix } from './design.ts';
import { fToZArray, fTail } from '../../stats/fdist.ts';
import { applyMinClusterVoxels } from '../../volume/cluster-regions.ts';

const round = (x: number, d = 4) => Number(x.toFixed(d));

/**
 * Set on the context by a pipeline that runs the glm stages as its group step (reho): maps and
 * tables go to `resultsDir` as usual, beside the parent's outputs, but the report goes to
 * `<resultsDir>/<report>` and the result record to the storage key `resultKey`, so that the
 * parent writes the job's one result.json, last. Plain glm jobs leave it unset.
 */
export interface GlmEmbedding {
  resultKey: string;
  report: string;
}

/** Stitch slab outputs, estimate smoothness, apply GRF, label clusters and write every output (result.json last). */
export async function reduceGlm(env: TaskEnv, contextKey: string, startedMs = performance.now()): Promise<{ result: string }> {
  const ctx: GlmContext & { embedded?: GlmEmbedding } = await loadContext(env.store, contextKey);
  const { workDir, resultsDir, grid, embedded } = ctx;
  const [nx, ny, nz] = grid.dims;
  const nVox = nx * ny * nz;
  const plane = nx * ny;
  const affine = Float64Array.from(grid.affine);
  const voxMm3 = grid.pixdim[0] * grid.pixdim[1] * grid.pixdim[2];
  const mask = new Uint8Array(await env.store.get(keys.mask(workDir)));
  const maskInfo = JSON.parse(await env.store.getText(keys.maskInfo(workDir))) as MaskInfo;
  const slabs = JSON.parse(await env.store.getText(keys.slabs(workDir))) as { index: number; z0: number; z1: number }[];
  const grf = ctx.job.params.inference.grf;
  let atlas: Float32Array | undefined;
  let labels: Map<number, string> | undefined;
  if (ctx.atlasUri) atlas = readNifti(await readUri(ctx.atlasUri), 'inputs.atlas').data;
  if (ctx.atlasLabelsUri) labels = parseLabelTable(new TextDecoder().decode(await readUri(ctx.atlasLabelsUri)), 'inputs.atlasLabels');

  // maps keep the space codes of the first subject's map
  const space = await readHeaderAt(ctx.subjects[0]!.map, 'subject map');
  const writer = outputWriter(env, resultsDir, { grid, space });
  const { outputs, put, putMap, putTable } = writer;
  // maps and tables are compressed and stored while the reducer goes on (writer.settled() waits, before the result record)
  const writeMap = (rel: string, data: Float32Array, info: MapInfo) => void putMap(rel, data, info);
  /** maps written by the cohort outputs (deviation maps): kind from the file name */
  const writeNamedMap = async (rel: string, data: Float32Array, description: string) => void putMap(rel, data, { kind: kindFromName(rel), description });
  const nulls: Record<string, Record<string, Float64Array>> = {};
  const design: Record<string, { rows: number[][]; subjects: string[] }> = {};

  const contrasts: Record<string, ContrastResult> = {};
  const cohort = await cohortOutputs(env, ctx, mask, atlas, labels);
  /** the peak's label in the cluster tables: from the region atlas (the user's, resampled if needed, or the bundled one) */
  const peakLabel = (index: number): string => {
    const ra = cohort.atlas;
    if (!ra) return '';
    return atlas && !labels ? String(Math.round(ra.labels[index]!)) : labelAtVoxel(ra.labels, ra.table, index);
  };
  for (const [m, spec] of ctx.models.entries()) {
    const isF = spec.kind === 'F';
    const fm = isF ? fModelOf(spec) : undefined;
    const t = new Float32Array(nVox);
    // every slab's outputs read at once (the reads overlap), placed in slab order
    const parts = await Promise.all(slabs.map((_, s) => Promise.all([env.store.get(keys.slabT(workDir, s, m)), env.store.get(keys.slabSmooth(workDir, s, m))])));
    const planeSums: Float64Array[] = [];
    for (const [s, slab] of slabs.entries()) {
      t.set(f32(parts[s]![0]), slab.z0 * plane);
      planeSums.push(f64(parts[s]![1]));
    }
    const dof = fm ? fm.dof : spec.n - spec.p;
    const z = fm ? fToZArray(t, fm.rank, fm.dof, new Float32Array(nVox)) : tToZArray(t, dof, new Float32Array(nVox));
    const p = new Float32Array(nVox);
    let maxT = -Infinity;
    let minT = Infinity;
    for (let v = 0; v < nVox; v++) {
      if (!mask[v]) {
        z[v] = 0;
        p[v] = 0;
        continue;
      }
      const tv = t[v]!;
      if (tv > maxT) maxT = tv;
      if (tv < minT) minT = tv;
      p[v] = fm ? (tv > 0 ? fTail(tv, fm.rank, fm.dof) : 1) : twoTailedTP(tv, dof);
    }
    const sm = estimateSmoothness(combinePlaneSums(planeSums), grid.pixdim, dof, ctx.job.params.smoothnessDof);
    // F is one-sided (PALM/randomise): GRF one-tailed on the z of F
    const twoTailed = grf.twoTailed && !fm;
    const thr = grfThreshold({ dLh: sm.dLh, nVoxels: maskInfo.voxels, voxelP: grf.voxelP, clusterP: grf.clusterP, twoTailed });
    const tails: ('+' | '-')[] = twoTailed ? ['+', '-'] : ['+'];
    let clusters: { c: Cluster; tail: '+' | '-' }[] = [];
    for (const tail of tails) {
      for (const c of findClusters(z, grid.dims, thr.zThreshold, tail, grf.connectivity, thr.clusterSizeThreshold, mask, true)) clusters.push({ c, tail });
    }
    clusters.sort((a, b) => b.c.voxels - a.c.voxels || Math.abs(b.c.peakValue) - Math.abs(a.c.peakValue) || a.c.peakIndex - b.c.peakIndex);
    // the study's minimum cluster size, after correction (0 keeps all)
    const minVox = ctx.job.params.minClusterVoxels;
    const kept = new Set(applyMinClusterVoxels(clusters.map((x) => x.c), minVox));
    clusters = clusters.filter((x) => kept.has(x.c));
    const survived = clusterMap(z, clusters.map((x) => x.c), nVox);
    const records: ClusterRecord[] = clusters.map(({ c, tail }) => {
      const [i, j, k] = c.peakIjk;
      const mni = voxelToMm(affine, i, j, k).map((x) => round(x, 2)) as [number, number, number];
      return {
        tail,
        voxels: c.voxels,
        volumeMm3: round(c.voxels * voxMm3, 3),
        peakT: round(t[c.peakIndex]!, 4),
        peakZ: round(z[c.peakIndex]!, 4),
        peakMni: mni,
        label: peakLabel(c.peakIndex),
      };
    });
    const name = spec.name;
    const pre = outputPrefix(spec);
    const contrast = { name, columns: spec.columns, weights: spec.contrast };
    const grfThr = { voxelP: grf.voxelP, clusterP: grf.clusterP, clusterFormingZ: round(thr.zThreshold, 6), minClusterVoxels: Math.max(thr.clusterSizeThreshold, minVox), twoTailed: twoTailed ? 1 : 0 };
    // an F-contrast's sidecars give its rows, not a weight vector
    const fContrast = { ...contrast, weights: undefined, ...(spec.rows ? { rows: spec.rows } : {}) };
    const mapContrast = fm ? fContrast : contrast;
    if (fm) {
      writeMap(`${pre}maps/${name}_F.nii.gz`, t, { kind: 'value', fDof: [fm.rank, fm.dof], units: 'F statistic', contrast: fContrast, description: `F df=${fm.rank},${fm.dof}` });
      writeMap(`${pre}maps/${name}_z.nii.gz`, z, { kind: 'z', contrast: fContrast, description: `z from F df=${fm.rank},${fm.dof}`, thresholds: grfThr });
      writeMap(`${pre}maps/${name}_p.nii.gz`, p, { kind: 'p', contrast: fContrast, description: 'one-sided uncorrected p of F' });
    } else {
      writeMap(`${pre}maps/${name}_t.nii.gz`, t, { kind: 't', dof, contrast, description: `t dof=${dof}` });
      writeMap(`${pre}maps/${name}_z.nii.gz`, z, { kind: 'z', dof, contrast, description: `z from t dof=${dof}`, thresholds: grfThr });
      writeMap(`${pre}maps/${name}_p.nii.gz`, p, { kind: 'p', dof, contrast, description: 'two-tailed uncorrected p' });
    }
    writeMap(`${pre}maps/${name}_grf.nii.gz`, survived, { kind: 'cluster', contrast: mapContrast, description: `GRF z>=${thr.zThreshold.toFixed(3)} k>=${Math.max(thr.clusterSizeThreshold, minVox)}`, thresholds: grfThr, extra: { Correction: 'Gaussian random field theory, cluster extent' } });
    // the peak statistic column names its statistic: t, or F for an F-contrast (z is the peak_z column)
    const peakCol: [string, string] = fm ? ['peak_F', 'peak_fstat'] : ['peak_t', 'peak_t'];
    const cols: [string, string][] = [
      ['cluster', 'cluster_id'], ['tail', 'tail'], ['voxels', 'size_voxels'], ['volume_mm3', 'volume_mm3'], peakCol, ['peak_z', 'peak_zstat'],
      ['peak_x', 'peak_x_mm'], ['peak_y', 'peak_y_mm'], ['peak_z_mm', 'peak_z_mm'], ['label', 'label'],
    ];
    void putTable(`${pre}tables/${name}_clusters`, cols, records.map((r, ci) => [ci + 1, r.tail, r.voxels, r.volumeMm3, r.peakT, r.peakZ, r.peakMni[0], r.peakMni[1], r.peakMni[2], r.label]));
    design[name] = { rows: spec.subjects.map((_, i) => spec.X.slice(i * spec.p, (i + 1) * spec.p)), subjects: spec.subjects.map((i) => ctx.subjects[i]!.id) };
    const tables = await regionAndValueTables(cohort, spec, t, grid.dims, affine, clusters, fm ? 'F' : 't');
    void put(`${pre}tables/${name}_cluster_regions.csv`, tables.regions);
    void put(`${pre}tables/${name}_cluster_values.csv`, tables.values);
    let permutation: PermutationResult | undefined;
    const outcome = await permutationOutcome(env, ctx, m);
    if (outcome) {
      const { setup, observed, summary } = outcome;
      const lat = setup.lattice;
      const gridOf = (values: ArrayLike<number>) => toGrid(lat, values);
      const oneMinus = (p: Float64Array) => gridOf(Float64Array.from(p, (x) => 1 - x));
      for (const stat of setup.options.statistics) {
        writeMap(`${pre}maps/${name}_${stat}_fwep.nii.gz`, oneMinus(summary.fweP[stat]!), { kind: 'oneMinusP', contrast: mapContrast, description: `1-p FWE ${stat}, ${summary.permutations} permutations`, thresholds: { significantAbove: 0.95 }, extra: { Correction: `permutation FWE (${stat})`, Permutations: summary.permutations } });
      }
      writeMap(`${pre}maps/${name}_uncp.nii.gz`, oneMinus(summary.uncorrectedP), { kind: 'oneMinusP', contrast: mapContrast, description: `1-p uncorrected (permutation)`, extra: { Permutations: summary.permutations } });
      writeMap(`${pre}maps/${name}_fdrp.nii.gz`, oneMinus(summary.fdrQ), { kind: 'oneMinusP', contrast: mapContrast, description: `1-q Benjamini-Hochberg FDR`, thresholds: { significantAbove: 0.95 }, extra: { Correction: 'Benjamini-Hochberg FDR' } });
      if (observed.tfce) writeMap(`${pre}maps/${name}_tfce.nii.gz`, gridOf(observed.tfce), { kind: 'tfce', contrast: mapContrast, description: `TFCE H=${setup.options.tfce.H} E=${setup.options.tfce.E}`, extra: { TfceH: setup.options.tfce.H, TfceE: setup.options.tfce.E } });
      nulls[name] = summary.nulls as Record<string, Float64Array>;
      const permClusters: PermClusterRecord[] = summary.clusters.filter((c) => c.size >= minVox).map((c) => {
        const g = lat.index[c.peak]!;
        const [i, j, k] = [g % nx, Math.floor(g / nx) % ny, Math.floor(g / plane)];
        return {
          voxels: c.size,
          volumeMm3: round(c.size * voxMm3, 3),
          mass: round(c.mass, 4),
          peakT: round(t[g]!, 4),
          peakZ: round(z[g]!, 4),
          peakMni: voxelToMm(affine, i, j, k).map((x) => round(x, 2)) as [number, number, number],
          label: peakLabel(g),
          pFweExtent: c.pFweExtent,
          pFweMass: c.pFweMass,
        };
      });
      if (summary.clusters.length) {
        const clusterOf = new Int32Array(nVox).fill(-1);
        summary.clusters.forEach((c, ci) => c.voxels.forEach((v) => (clusterOf[lat.index[v]!] = ci)));
        for (const [ci, { c }] of clusters.entries()) {
          const pc = summary.clusters[clusterOf[c.peakIndex]!];
          records[ci]!.pFweExtent = pc ? pc.pFweExtent : null;
          records[ci]!.pFweMass = pc ? pc.pFweMass : null;
        }
      }
      const pcols: [string, string][] = [
        ['cluster', 'cluster_id'], ['voxels', 'size_voxels'], ['volume_mm3', 'volume_mm3'], ['mass', 'mass'], peakCol, ['peak_z', 'peak_zstat'],
        ['peak_x', 'peak_x_mm'], ['peak_y', 'peak_y_mm'], ['peak_z_mm', 'peak_z_mm'], ['label', 'label'], ['p_fwe_extent', 'p_fwe_extent'], ['p_fwe_mass', 'p_fwe_mass'],
      ];
      void putTable(`${pre}tables/${name}_permutation_clusters`, pcols, permClusters.map((r, ci) => [ci + 1, r.voxels, r.volumeMm3, r.mass, r.peakT, r.peakZ, r.peakMni[0], r.peakMni[1], r.peakMni[2], r.label, r.pFweExtent, r.pFweMass]));
      const minFweP: Partial<Record<Statistic, number>> = {};
      const voxelsFwe05: Partial<Record<Statistic, number>> = {};
      for (const stat of setup.options.statistics) {
        const p = summary.fweP[stat]!;
        let mn = 1;
        let cnt = 0;
        for (const x of p) {
          if (x < mn) mn = x;
          if (x <= 0.05) cnt++;
        }
        minFweP[stat] = mn;
        voxelsFwe05[stat] = cnt;
      }
      permutation = {
        permutations: summary.permutations,
        exhaustive: summary.exhaustive,
        uniqueRelabellings: summary.uniqueRelabellings,
        seed: ctx.job.seed,
        statistics: setup.options.statistics,
        twoTailed: setup.options.twoTailed,
        clusterFormingZ: round(setup.options.clusterFormingZ, 6),
        connectivity: lat.connectivity,
        tfce: { H: setup.options.tfce.H, E: setup.options.tfce.E, dh: setup.options.tfce.dh ?? 'max/100' },
        nullQuantiles: summary.quantiles,
        minFweP,
        voxelsFwe05,
        voxelsFdr05: summary.fdrQ.reduce((a, q) => a + (q <= 0.05 ? 1 : 0), 0),
        clusters: permClusters,
      };
    }
    const target = spec.analysis ? (cohort.analyses[spec.analysis]!.contrasts as Record<string, ContrastResult>) : contrasts;
    target[name] = {
      ...(fm ? { kind: 'F' as const, df: [fm.rank, fm.dof] as [number, number], rows: spec.rows } : {}),
      minClusterVoxels: minVox,
      regionRows: tables.rows,
      ...(spec.analysis ? { nSubjects: spec.n } : {}),
      dof,
      nSubjects: spec.n,
      columns: spec.columns,
      contrast: spec.contrast,
      maxT: round(maxT, 6),
      minT: round(minT, 6),
      dLh: sm.dLh,
      fwhmMm: sm.fwhmMm.map((x) => round(x, 6)) as [number, number, number],
      resels: sm.resels,
      zThreshold: thr.zThreshold,
      clusterSizeThreshold: thr.clusterSizeThreshold,
      clusters: records,
      ...(permutation ? { permutation } : {}),
    };
  }

  const permBatches = planPermutations(ctx).batches.length;
  const transitions = glmCounts({ PrepareSubjects: { items: ctx.subjects.length }, FitSlabs: { items: slabs.length }, Permute: { items: permBatches } }).stateTransitions;
  const result: GlmResult = {
    pipeline: 'glm',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    mask: maskInfo,
    // accepted but suspicious: voxels of the user's mask lost because some subject's map is not finite there
    warnings: maskInfo.source === 'inputs.mask' && maskInfo.excludedNonFinite > 0 ? [`${maskInfo.excludedNonFinite} voxel(s) of inputs.mask left out of the analysis because some subject's map is not finite there (NaN)`] : [],
    contrasts,
    shards: { subjects: ctx.subjects.length, slabs: slabs.length, permutationBatches: permBatches },
    cost: await jobCost(env, workDir, startedMs, transitions),
    outputs: [],
    methods: '',
    ...(await cohort.finish(put, writeNamedMap)),
  };
  result.methods = describeGlm(ctx, result) + cohort.methods(result);
  const extras = { glm: { nulls, design } };
  if (embedded) {
    // the group step of another pipeline: its own report beside the parent's, the record for the parent's result.json
    result.outputs = [...outputs];
    await Promise.all([writeReport(env, resultsDir, result as unknown as Record<string, unknown>, result.outputs, { job: ctx.job as unknown as Record<string, unknown>, jobUri: ctx.jobUri, workDir, extras, writer }, embedded.report), writer.settled()]);
    result.outputs = [...outputs, embedded.report];
    await env.store.put(embedded.resultKey, JSON.stringify(result, null, 2) + '\n');
    await env.store.put(reportExtrasKey(embedded.resultKey), JSON.stringify({ nulls: Object.fromEntries(Object.entries(nulls).map(([c, v]) => [c, Object.fromEntries(Object.entries(v).map(([k, a]) => [k, Array.from(a)]))])), design }));
    return { result: embedded.resultKey };
  }
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, 'result.json'], { jobUri: ctx.jobUri, extras, writer });
}
