import { actualCost } from '../../jobs/cost.ts';
import { finishJob, jobCost, outputWriter } from '../common/finish.ts';
import { netmapCounts } from './workflow.ts';
import type { CostEstimate, TaskType } from '../../jobs/cost.ts';
import { csvField } from '../../jobs/csv.ts';
import { readNifti, voxelToMm } from '../../nifti/index.ts';
import { kindFromName } from '../../report/index.ts';
import { readUri } from '../../storage/index.ts';
import { readMetrics } from '../../runtime/task.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { loadSeedMaps } from './seed-maps.ts';
import { specificityOutcome, planSpecificity } from './specificity.ts';
import type { Statistic } from '../../permutation/engine.ts';
import { keys, loadContext, planChunks } from './context.ts';
import type { NetmapContext } from './context.ts';
import { loadSeeds } from './chunk.ts';
import { OverlapAccumulator } from '../../netmap/overlap.ts';
import { weightedMeanMap, convergentMap } from '../../netmap/dbs.ts';
import { atlasLabelStats, atlasMaskTest } from '../../netmap/atlas-mask-null.ts';
import { eegElectrodeValues } from '../../netmap/eeg-spheres.ts';
import { localMaxima } from '../../netmap/peaks.ts';
import { spatialCorrelation } from '../../netmap/spatial-correlation.ts';
import { labelAtVoxel, parseLabelTable } from '../../volume/atlas-labels.ts';
import { assetPath } from '../../assets.ts';
import { readFileSync } from 'node:fs';

export interface StudyResult {
  study: string;
  set: 'study' | 'control';
  coordinates: number;
  seedVoxels: number;
  maxT: number;
  minT: number;
  peakMni: [number, number, number];
  troughMni: [number, number, number];
  positiveVoxels: number;
  negativeVoxels: number;
}

export interface SpecificityResult {
  map: 't' | 'meanZ';
  studies: number;
  controls: number;
  permutations: number;
  exhaustive: boolean;
  statistics: Statistic[];
  nullQuantiles: Partial<Record<Statistic, { q95: number; q99: number }>>;
  minFweP: Partial<Record<Statistic, number>>;
  voxelsFwe05: Partial<Record<Statistic, number>>;
  voxelsFdr05: number;
}

export interface NetmapResult {
  pipeline: 'netmap';
  status: 'succeeded';
  jobId: string;
  specHash: string;
  connectome: { name: string; subjects: number; voxels: number };
  sphereDiameterMm: number;
  threshold: number;
  dof: number;
  studies: StudyResult[];
  specificity?: SpecificityResult;
  validation: ValidationResult;
  dbs?: DbsResult;
  overlap: { studies: number; maxPositive: number; maxNegative: number; voxelsAllPositive: number; voxelsAllNegative: number };
  shards: { chunks: number };
  cost: { estimatedUsd: number; actualUsd: number; lambdaGbSeconds: number; stateTransitions: number; invocations: number };
  outputs: string[];
  methods: string;
}

const round = (x: number, d = 4) => Number(x.toFixed(d));

/** Pool the shards in index order, write per-study maps, binarised networks and their overlap (result.json last). */
export async function reduceNetmap(env: TaskEnv, contextKey: string, startedMs = performance.now()): Promise<{ result: string }> {
  const ctx: NetmapContext = await loadContext(env.store, contextKey);
  const { workDir, resultsDir, grid } = ctx;
  const [nx, ny, nz] = grid.dims;
  const nVox = nx * ny * nz;
  const affine = Float64Array.from(grid.affine);
  const seeds = await loadSeeds(env, workDir);
  const S = seeds.length;
  const V = ctx.voxels;
  const chunks = planChunks(ctx.subjects.length, ctx.job.budget.maxConcurrency, ctx.job.params.subjectsPerShard);
  const seedMapSet = await loadSeedMaps(env, ctx);
  const cmask = new Uint8Array(await env.store.get(keys.connectomeMask(workDir)));
  const index = new Int32Array(V);
  for (let g = 0, q = 0; g < nVox; g++) if (cmask[g]) index[q++] = g;
  let restrict: Uint8Array | undefined;
  if (ctx.maskUri) {
    const m = readNifti(await readUri(ctx.maskUri), 'inputs.mask').data;
    restrict = Uint8Array.from(m, (x) => (x !== 0 && Number.isFinite(x) ? 1 : 0));
  }

  const { outputs, put, putMap } = outputWriter(env, resultsDir, { grid });
  // kind from the file name (t, overlap, 1 − p …); a study's t map carries the connectome's DOF
  const writeMap = (rel: string, data: Float32Array, description: string, dof?: number) => putMap(rel, data, { kind: kindFromName(rel), description, ...(dof !== undefined ? { dof } : {}) });
  const toGrid = (values: ArrayLike<number>) => {
    const out = new Float32Array(nVox);
    for (let q = 0; q < V; q++) out[index[q]!] = values[q]!;
    return out;
  };
  const T = ctx.job.params.threshold;
  const studies: StudyResult[] = [];
  const dof = seedMapSet.dof;
  const studyCount = ctx.studies.filter((x) => x.set === 'study').length;
  const overlap = new OverlapAccumulator(nVox, T);
  for (let k = 0; k < S; k++) {
    const study = seeds[k]!.study;
    const info = ctx.studies.find((s) => s.study === study)!;
    const m = { t: seedMapSet.t.subarray(k * V, (k + 1) * V), meanZ: seedMapSet.meanZ.subarray(k * V, (k + 1) * V), meanR: seedMapSet.meanR.subarray(k * V, (k + 1) * V) };
    const t = toGrid(m.t);
    await writeMap(`maps/${study}_t.nii.gz`, t, `one-sample t of Fisher z, ${ctx.subjects.length} connectome subjects`, dof);
    if (ctx.job.params.maps.meanZ) await writeMap(`maps/${study}_meanz.nii.gz`, toGrid(m.meanZ), 'mean Fisher z');
    if (ctx.job.params.maps.meanR) await writeMap(`maps/${study}_meanr.nii.gz`, toGrid(m.meanR), 'mean r');
    let maxT = -Infinity;
    let minT = Infinity;
    let peak = 0;
    let trough = 0;
    let np = 0;
    let nn = 0;
    const counted = restrict ? new Float32Array(nVox) : t;
    for (let q = 0; q < V; q++) {
      const g = index[q]!;
      const x = t[g]!;
      if (x > maxT) (maxT = x), (peak = g);
      if (x < minT) (minT = x), (trough = g);
      if (restrict && !restrict[g]) continue;
      if (restrict) counted[g] = x;
      if (x > T) np++;
      else if (x < -T) nn++;
    }
    if (info.set === 'study') overlap.add(counted, study);
    const mniOf = (g: number) => voxelToMm(affine, g % nx, Math.floor(g / nx) % ny, Math.floor(g / (nx * ny))).map((v) => round(v, 2)) as [number, number, number];
    studies.push({ study, set: info.set, coordinates: info.coordinates.length, seedVoxels: info.voxels, maxT: round(maxT, 4), minT: round(minT, 4), peakMni: mniOf(peak), troughMni: mniOf(trough), positiveVoxels: np, negativeVoxels: nn });
  }
  const ov = overlap.result();
  let maxPositive = 0;
  let maxNegative = 0;
  let allPos = 0;
  let allNeg = 0;
  for (let g = 0; g < nVox; g++) {
    maxPositive = Math.max(maxPositive, ov.posCount[g]!);
    maxNegative = Math.max(maxNegative, ov.negCount[g]!);
    if (ov.posCount[g] === studyCount) allPos++;
    if (ov.negCount[g] === studyCount) allNeg++;
  }
  await writeMap('maps/overlap_positive.nii.gz', ov.pos, `fraction of ${studyCount} studies with t > ${T}`);
  await writeMap('maps/overlap_negative.nii.gz', ov.neg, `fraction of ${studyCount} studies with t < -${T}`);
  await writeMap('maps/overlap.nii.gz', ov.signed, `(positive - negative) / ${studyCount} studies`);
  const validation = await validateOverlap(ctx, ov.signed, cmask, async (rel, body) => put(rel, body), seeds.map((x, k) => ({ study: x.study, t: toGrid(seedMapSet.t.subarray(k * V, (k + 1) * V)) })));
  let dbs: DbsResult | undefined;
  if (ctx.job.params.dbs) {
    const p = ctx.job.params.dbs;
    const patients = seeds.map((x, k) => ({ k, info: ctx.studies.find((y) => y.study === x.study)! })).filter((x) => x.info.set === 'study');
    const src = p.map === 't' ? seedMapSet.t : seedMapSet.meanZ;
    const maps = patients.map(({ k }) => toGrid(src.subarray(k * V, (k + 1) * V)));
    const weights = patients.map(({ info }) => info.outcome!);
    const network = weightedMeanMap(maps, weights, { normalise: p.normalise });
    await writeMap('maps/dbs_network.nii.gz', network, `${p.map} maps weighted by outcome (${p.normalise})`);
    dbs = {
      patients: patients.length,
      map: p.map,
      normalise: p.normalise,
      outcomes: { min: Math.min(...weights), max: Math.max(...weights), mean: round(weights.reduce((a, b) => a + b, 0) / weights.length, 4) },
      correlationWithOverlap: round(spatialCorrelation(network, ov.signed, { mask: cmask }, 'dbs').r, 6),
    };
    if (p.convergent) {
      await writeMap('maps/convergent.nii.gz', convergentMap([ov.signed, network], cmask).map, 'mean of z-scored overlap and DBS network');
    }
  }
  let specificity: SpecificityResult | undefined;
  const spec = await specificityOutcome(env, ctx);
  if (spec) {
    const { setup, observed, summary } = spec;
    const oneMinus = (p: Float64Array) => toGrid(Float64Array.from(p, (x) => 1 - x));
    await writeMap('maps/specificity_t.nii.gz', toGrid(observed.t), `two-sample t, studies - controls (${ctx.job.params.specificity!.map} maps)`);
    for (const stat of setup.options.statistics) await writeMap(`maps/specificity_${stat}_fwep.nii.gz`, oneMinus(summary.fweP[stat]!), `1-p FWE ${stat}, ${summary.permutations} permutations`);
    await writeMap('maps/specificity_uncp.nii.gz', oneMinus(summary.uncorrectedP), '1-p uncorrected (permutation)');
    await writeMap('maps/specificity_fdrp.nii.gz', oneMinus(summary.fdrQ), '1-q Benjamini-Hochberg FDR');
    if (observed.tfce) await writeMap('maps/specificity_tfce.nii.gz', toGrid(observed.tfce), 'TFCE of |z|');
    const minFweP: Partial<Record<Statistic, number>> = {};
    const voxelsFwe05: Partial<Record<Statistic, number>> = {};
    for (const stat of setup.options.statistics) {
      const p = summary.fweP[stat]!;
      minFweP[stat] = p.reduce((a, x) => Math.min(a, x), 1);
      voxelsFwe05[stat] = p.reduce((a, x) => a + (x <= 0.05 ? 1 : 0), 0);
    }
    specificity = {
      map: ctx.job.params.specificity!.map,
      studies: studyCount,
      controls: S - studyCount,
      permutations: summary.permutations,
      exhaustive: summary.exhaustive,
      statistics: setup.options.statistics,
      nullQuantiles: summary.quantiles,
      minFweP,
      voxelsFwe05,
      voxelsFdr05: summary.fdrQ.reduce((a, q) => a + (q <= 0.05 ? 1 : 0), 0),
    };
  }
  const header = 'study,set,coordinates,seed_voxels,max_t,peak_x,peak_y,peak_z,min_t,trough_x,trough_y,trough_z,positive_voxels,negative_voxels';
  const rows = studies.map((s) => [s.study, s.set, s.coordinates, s.seedVoxels, s.maxT, ...s.peakMni, s.minT, ...s.troughMni, s.positiveVoxels, s.negativeVoxels].map(csvField).join(','));
  await put('tables/studies.csv', [header, ...rows].join('\n') + '\n');

  const transitions = netmapCounts({ Chunks: { items: chunks.length }, Specificity: { items: planSpecificity(ctx)?.batches.length ?? 0 } }).stateTransitions;
  const result: NetmapResult = {
    pipeline: 'netmap',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    connectome: { name: ctx.connectomeName, subjects: ctx.subjects.length, voxels: V },
    sphereDiameterMm: ctx.job.params.sphereDiameterMm,
    threshold: T,
    dof,
    studies,
    overlap: { studies: studyCount, maxPositive: maxPositive / studyCount, maxNegative: maxNegative / studyCount, voxelsAllPositive: allPos, voxelsAllNegative: allNeg },
    ...(specificity ? { specificity } : {}),
    validation,
    ...(dbs ? { dbs } : {}),
    shards: { chunks: chunks.length },
    cost: await jobCost(env, workDir, startedMs, transitions),
    outputs: [],
    methods: '',
  };
  result.methods =
    `Seed-based network mapping on the normative connectome "${ctx.connectomeName}" (${ctx.subjects.length} subjects). ` +
    `Each study's seed was the union of ${ctx.job.params.sphereDiameterMm} mm-diameter spheres around its coordinates (voxel centres within the radius, inclusive) or its mask (values as weights), restricted to the connectome mask. ` +
    `Per subject and run the seed time course (weighted mean of seed voxels) was correlated with every voxel; r was averaged over runs and Fisher z-transformed (|r| clamped to 1 − 1e-7). ` +
    `A one-sample t-test of z across subjects (df ${dof}) gave each study's network; networks were binarised at t > ${T} and t < −${T}${ctx.maskUri ? ' within inputs.mask' : ''} and their overlap is the fraction of the ${studyCount} studies.` +
    (specificity
      ? ` Specificity: the ${studyCount} studies' ${specificity.map} maps were compared with the ${specificity.controls} control studies' voxelwise by a two-sample permutation test (label exchange, ${specificity.permutations} permutations${specificity.exhaustive ? ', exhaustive' : ''}; ${specificity.statistics.join(', ')}; FDR by Benjamini–Hochberg).`
      : '');
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, 'result.json'], { jobUri: ctx.jobUri, ...(spec ? { extras: { netmap: { nulls: spec.summary.nulls } } } : {}) });
}

export interface DbsResult {
  patients: number;
  map: 't' | 'meanZ';
  normalise: 'sum' | 'abs' | 'none';
  outcomes: { min: number; max: number; mean: number };
  /** spatial correlation (Pearson, connectome voxels) of the DBS network with the overlap map */
  correlationWithOverlap: number;
}

export interface ValidationResult {
  peaks: { value: number; mni: [number, number, number]; label: string }[];
  eeg?: { label: string; mni: [number, number, number]; voxels: number; mean: number }[];
  atlas?: { labels: number[]; meanX100: number; nullMasks: number; p: number };
  reference?: { overlap: number; studies: Record<string, number>; voxels: number };
}

/**
 * Validation of the overlap network (ALGORITHMS §H): its local maxima, the mean value in
 * 25 mm spheres at the 10–20 EEG positions, the mean × 100 within an atlas region against
 * random label sets of the same size, and spatial correlation with a reference map.
 */
async function validateOverlap(
  ctx: NetmapContext,
  overlap: Float32Array,
  cmask: Uint8Array,
  put: (rel: string, body: string) => Promise<void>,
  studyMaps: { study: string; t: Float32Array }[],
): Promise<ValidationResult> {
  const grid = { dims: ctx.grid.dims, affine: ctx.grid.affine };
  const v = ctx.job.params.validation;
  const round = (x: number, d = 4) => Number(x.toFixed(d));
  let atlas: Float32Array | undefined;
  let labels: Map<number, string> | undefined;
  if (ctx.atlasUri) atlas = readNifti(await readUri(ctx.atlasUri), 'inputs.atlas').data;
  if (ctx.atlasLabelsUri) labels = parseLabelTable(new TextDecoder().decode(await readUri(ctx.atlasLabelsUri)), 'inputs.atlasLabels');
  const labelOf = (g: number) => (atlas && labels ? labelAtVoxel(atlas, labels, g) : atlas ? String(Math.round(atlas[g]!)) : '');
  const out: ValidationResult = { peaks: [] };
  if (v.peaks > 0) {
    out.peaks = localMaxima(overlap, grid, { k: v.peaks, minDistanceMm: 10, mask: cmask, minValue: 0 }).map((p) => ({ value: round(p.value, 6), mni: p.mm.map((x) => round(x, 2)) as [number, number, number], label: labelOf(p.index) }));
    const rows = out.peaks.map((p, i) => [i + 1, p.value, ...p.mni, p.label].map(csvField).join(','));
    await put('tables/overlap_peaks.csv', ['rank,overlap,x,y,z,label', ...rows].join('\n') + '\n');
  }
  if (v.eeg) {
    const values = eegElectrodeValues(overlap, grid, readFileSync(assetPath('netmap/eeg_1020_mni.csv'), 'utf8'), cmask);
    out.eeg = values.map((e) => ({ label: e.label, mni: e.mm, voxels: e.nVoxels, mean: round(e.mean, 6) }));
    const rows = out.eeg.map((e) => [e.label, ...e.mni, e.voxels, e.mean].map(csvField).join(','));
    await put('tables/overlap_eeg_1020.csv', ['electrode,x,y,z,voxels,mean_overlap', ...rows].join('\n') + '\n');
  }
  if (v.atlasLabels && atlas) {
    const test = atlasMaskTest(atlasLabelStats(overlap, atlas, cmask), v.atlasLabels, { nNull: v.nullMasks, seed: ctx.job.seed });
    out.atlas = { labels: v.atlasLabels, meanX100: round(test.observed, 4), nullMasks: v.nullMasks, p: round(test.p, 6) };
  }
  if (ctx.referenceUri) {
    const ref = readNifti(await readUri(ctx.referenceUri), 'inputs.reference').data;
    const r0 = spatialCorrelation(overlap, ref, { mask: cmask }, 'inputs.reference');
    const studies: Record<string, number> = {};
    for (const s of studyMaps) studies[s.study] = round(spatialCorrelation(s.t, ref, { mask: cmask }, 'inputs.reference').r, 6);
    out.reference = { overlap: round(r0.r, 6), studies, voxels: r0.n };
  }
  return out;
}

