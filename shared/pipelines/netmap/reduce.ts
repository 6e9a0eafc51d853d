import { actualCost } from '../../jobs/cost.ts';
import { finishJob, jobCost, outputWriter } from '../common/finish.ts';
import { netmapCounts } from './workflow.ts';
import type { CostEstimate, TaskType } from '../../jobs/cost.ts';
import { csvField } from '../../jobs/csv.ts';
import { readNifti, voxelToMm } from '../../nifti/index.ts';
import { kindFromName } from '../../report/index.ts';
import { readUri, resolveRef } from '../../storage/index.ts';
import { readHeaderAt } from '../common/header.ts';
import { readMetrics } from '../../runtime/task.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { loadSeedMaps } from './seed-maps.ts';
import { specificityOutcomes, planSpecificity } from './specificity.ts';
import { bhAdjust } from '../../stats/fdr.ts';
import type { Statistic } from '../../permutation/engine.ts';
import { allChunks, connectomeOf, keys, loadContext, planChunks } from './context.ts';
import { mapKeys } from './seed-maps.ts';
import { f32 } from '../common/bytes.ts';
import type { NetmapContext } from './context.ts';
import { loadSeeds } from './chunk.ts';
import { OverlapAccumulator } from '../../netmap/overlap.ts';
import { weightedMeanMap, convergentMap } from '../../netmap/dbs.ts';
import { atlasLabelStats, atlasMaskTest } from '../../netmap/atlas-mask-null.ts';
import { eegElectrodeValues } from '../../netmap/eeg-spheres.ts';
import { labelValues } from '../../netmap/label-values.ts';
import { summariseOutcomes, type OutcomeSummary } from '../../netmap/dbs-outcomes.ts';
import { compareDbsWithExternal } from '../../netmap/dbs-external.ts';
import { peakToSweetSpots } from '../../netmap/sweet-spot.ts';
import { roiConnectivityAnova } from '../../netmap/roi-connectivity.ts';
import { maskValues, studyRoiValues, twoGroupTest, type RoiValue } from '../../netmap/roi-group-tests.ts';
import { localMaxima } from '../../netmap/peaks.ts';
import { spatialCorrelation } from '../../netmap/spatial-correlation.ts';
import { labelAtVoxel, parseLabelTable } from '../../volume/atlas-labels.ts';
import { assetPath } from '../../assets.ts';
import { readFileSync } from 'node:fs';
import { InvalidParameter } from '../../errors.ts';
import { sweepRows, variantOverlap, type SweepRow } from '../../netmap/sweep-variants.ts';

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
  /** the control set (named sets only) */
  set?: string;
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
  /** voxels with FDR q ≤ 0.05 of the uncorrected TFCE p */
  voxelsTfceFdr05?: number;
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
  /** the first control set's test (the only one with a single inputs.controls table) */
  specificity?: SpecificityResult;
  /** every control set's test, by name (named inputs.controls and params.randomControls) */
  specificitySets?: Record<string, SpecificityResult>;
  sweep?: SweepResult;
  /** inputs.connectomes: the overlap networks of every connectome compared (Pearson r over the connectome voxels) */
  connectomes?: ConnectomeComparison;
  roiConnectivity?: RoiConnectivityResult;
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
  // the studies' main seeds are the first slots, in ctx.studies order (sweep geometries follow)
  const seeds = (await loadSeeds(env, workDir)).slice(0, ctx.studies.length);
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

  // maps keep the space codes (sform/qform) of the connectome's mask, whose grid they share
  const cmanifest = JSON.parse(new TextDecoder().decode(await readUri(ctx.connectomeUri))) as { mask: string };
  const space = await readHeaderAt(resolveRef(cmanifest.mask, ctx.connectomeBase), 'connectome mask');
  const writer = outputWriter(env, resultsDir, { grid, space });
  const { outputs, put, putMap } = writer;
  // kind from the file name (t, overlap, 1 − p …); a study's t map carries the connectome's DOF
  // maps are compressed and stored while the reducer goes on (finishJob waits for writer.settled() before result.json)
  const writeMap = async (rel: string, data: Float32Array, description: string, dof?: number) => void putMap(rel, data, { kind: kindFromName(rel), description, ...(dof !== undefined ? { dof } : {}) });
  const toGrid = (values: ArrayLike<number>) => {
    const out = new Float32Array(nVox);
    for (let q = 0; q < V; q++) out[index[q]!] = values[q]!;
    return out;
  };
  const T = ctx.threshold;
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
  let connectomes: ConnectomeComparison | undefined;
  if (ctx.connectomes) {
    // each further connectome: the studies' overlap from its own pass, at the main threshold and mask
    const studyK = seeds.map((x, k) => ({ k, info: ctx.studies.find((y) => y.study === x.study)! })).filter((x) => x.info.set === 'study');
    const nets: { name: string; overlap: Float32Array; t: Float32Array }[] = [{ name: ctx.connectomeName, overlap: ov.signed, t: seedMapSet.t }];
    for (const [i, c] of ctx.connectomes.entries()) {
      const t = f32(await env.store.get(mapKeys.t(connectomeOf(ctx, i + 1).passDir)));
      const acc = new OverlapAccumulator(nVox, T);
      for (const { k, info } of studyK) {
        const m = toGrid(t.subarray(k * V, (k + 1) * V));
        if (restrict) for (let g = 0; g < nVox; g++) if (!restrict[g]) m[g] = 0;
        acc.add(m, info.study);
      }
      const o = acc.result();
      await writeMap(`maps/connectomes/${c.name}_overlap.nii.gz`, o.signed, `(positive - negative) / ${studyCount} studies, connectome ${c.name}`);
      nets.push({ name: c.name, overlap: o.signed, t });
    }
    const pairs: ConnectomeComparison['pairs'] = [];
    for (let a = 0; a < nets.length; a++) {
      for (let b = a + 1; b < nets.length; b++) {
        const perStudy = studyK.map(({ k }) => spatialCorrelation(nets[a]!.t.subarray(k * V, (k + 1) * V), nets[b]!.t.subarray(k * V, (k + 1) * V), {}, 'connectomes').r).sort((x, y) => x - y);
        const mid = perStudy.length / 2;
        const median = perStudy.length % 2 ? perStudy[Math.floor(mid)]! : (perStudy[mid - 1]! + perStudy[mid]!) / 2;
        pairs.push({ a: nets[a]!.name, b: nets[b]!.name, rOverlap: round(spatialCorrelation(nets[a]!.overlap, nets[b]!.overlap, { mask: cmask }, 'connectomes').r, 6), medianStudyR: round(median, 6) });
      }
    }
    await put('tables/connectomes.csv', ['connectome_a,connectome_b,r_overlap,median_study_r', ...pairs.map((p) => [p.a, p.b, p.rOverlap, p.medianStudyR].map(csvField).join(','))].join('\n') + '\n');
    connectomes = { names: nets.map((n) => n.name), subjects: [ctx.subjects.length, ...ctx.connectomes.map((c) => c.subjects.length)], pairs };
  }
  const sweep = ctx.sweep ? await reduceSweep(ctx, seedMapSet.t, toGrid, restrict, cmask, writeMap, (rel, body) => put(rel, body)) : undefined;
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
    let convergentOwn: Float32Array | undefined;
    if (p.convergent) {
      convergentOwn = convergentMap([ov.signed, network], cmask).map;
      await writeMap('maps/convergent.nii.gz', convergentOwn, 'mean of z-scored overlap and DBS network');
    }
    const summary = summariseOutcomes(weights, { responderThreshold: p.responderThreshold }, 'inputs.seeds outcome');
    dbs.outcomeSummary = Object.fromEntries(Object.entries(summary).map(([k, x]) => [k, round(x as number, 6)])) as unknown as OutcomeSummary;
    const vatRows = patients.filter(({ info }) => info.vatRadiiMm).map(({ info }) => [info.study, info.outcome ?? '', info.voxels, info.vatRadiiMm!.map((r) => round(r, 4)).join(' ')].map(csvField).join(','));
    if (vatRows.length) await put('tables/dbs_vat.csv', ['patient,outcome,vat_voxels,vat_radii_mm', ...vatRows].join('\n') + '\n');
    const grid3 = { dims: grid.dims, affine: grid.affine };
    let region: Uint8Array | undefined;
    if (p.peakLabels) {
      const atlas = readNifti(await readUri(ctx.atlasUri!), 'inputs.atlas').data;
      region = Uint8Array.from(atlas, (x, g) => (cmask[g] && p.peakLabels!.includes(Math.round(x)) ? 1 : 0));
    }
    const spots = p.sweetSpots?.map((s) => ({ label: s.label, mm: [s.x, s.y, s.z] as [number, number, number] }));
    const peakOut = (r: { peak: { value: number; voxels: { mm: [number, number, number] }[] }; distances?: { label: string; mm: [number, number, number]; distanceMm: number; minDistanceMm: number }[] }) => ({
      value: round(r.peak.value, 6),
      mni: r.peak.voxels[0]!.mm.map((x) => round(x, 2)) as [number, number, number],
      ties: r.peak.voxels.length - 1,
      sweetSpots: (r.distances ?? []).map((d) => ({ label: d.label, mni: d.mm, distanceMm: round(d.distanceMm, 3), minDistanceMm: round(d.minDistanceMm, 3) })),
    });
    if (ctx.dbsExternalUri) {
      const external = readNifti(await readUri(ctx.dbsExternalUri), 'params.dbs.external').data;
      const cmp = compareDbsWithExternal(network, external, grid3, cmask, { ...(region ? { region } : {}), ...(spots ? { sweetSpots: spots } : {}) }, 'params.dbs.external');
      await writeMap('maps/convergent_external.nii.gz', cmp.convergent, 'mean of z-scored DBS network and external network');
      dbs.external = { voxels: cmp.n, pearson: round(cmp.pearson, 6), spearman: round(cmp.spearman, 6), ...(cmp.regionPeak ? { regionPeak: peakOut({ peak: cmp.regionPeak, distances: cmp.sweetSpots }) } : {}) };
    } else if (region && convergentOwn) {
      dbs.regionPeak = peakOut(peakToSweetSpots(convergentOwn, grid3, region, spots ?? [], {}, 'maps/convergent.nii.gz'));
    }
  }
  let specificity: SpecificityResult | undefined;
  const specificitySets: Record<string, SpecificityResult> = {};
  // the report plots the first specificity test's full permutation nulls
  let specNulls: Record<string, Float64Array> | undefined;
  for (const { name, outcome: spec } of await specificityOutcomes(env, ctx)) {
    const { setup, observed, summary } = spec;
    specNulls ??= summary.nulls as Record<string, Float64Array>;
    // a single unnamed controls table keeps maps/specificity_*; named sets (and `random`) go to maps/specificity/<set>_*
    const named = ctx.studies.some((x) => x.controlSet !== undefined);
    const pre = named ? `maps/specificity/${name}_` : 'maps/specificity_';
    const nControls = ctx.studies.filter((x) => x.set === 'control' && (x.controlSet ?? 'controls') === name).length;
    const oneMinus = (p: Float64Array) => toGrid(Float64Array.from(p, (x) => 1 - x));
    await writeMap(`${pre}t.nii.gz`, toGrid(observed.t), `two-sample t, studies - ${name} (${ctx.job.params.specificity!.map} maps)`);
    for (const stat of setup.options.statistics) await writeMap(`${pre}${stat}_fwep.nii.gz`, oneMinus(summary.fweP[stat]!), `1-p FWE ${stat}, ${summary.permutations} permutations`);
    await writeMap(`${pre}uncp.nii.gz`, oneMinus(summary.uncorrectedP), '1-p uncorrected (permutation)');
    await writeMap(`${pre}fdrp.nii.gz`, oneMinus(summary.fdrQ), '1-q Benjamini-Hochberg FDR of the uncorrected p');
    if (observed.tfce) await writeMap(`${pre}tfce.nii.gz`, toGrid(observed.tfce), 'TFCE of |z|');
    let tfceFdr: Float64Array | undefined;
    if (summary.tfceUncorrectedP) {
      // FDR on every voxelwise p written, as PALM's -fdr: the uncorrected TFCE p too
      tfceFdr = bhAdjust(summary.tfceUncorrectedP);
      await writeMap(`${pre}tfce_uncp.nii.gz`, oneMinus(summary.tfceUncorrectedP), '1-p uncorrected TFCE (permutation)');
      await writeMap(`${pre}tfce_fdrp.nii.gz`, oneMinus(tfceFdr), '1-q Benjamini-Hochberg FDR of the uncorrected TFCE p');
    }
    const minFweP: Partial<Record<Statistic, number>> = {};
    const voxelsFwe05: Partial<Record<Statistic, number>> = {};
    for (const stat of setup.options.statistics) {
      const p = summary.fweP[stat]!;
      minFweP[stat] = p.reduce((a, x) => Math.min(a, x), 1);
      voxelsFwe05[stat] = p.reduce((a, x) => a + (x <= 0.05 ? 1 : 0), 0);
    }
    const r: SpecificityResult = {
      ...(named ? { set: name } : {}),
      map: ctx.job.params.specificity!.map,
      studies: studyCount,
      controls: nControls,
      permutations: summary.permutations,
      exhaustive: summary.exhaustive,
      statistics: setup.options.statistics,
      nullQuantiles: summary.quantiles,
      minFweP,
      voxelsFwe05,
      voxelsFdr05: summary.fdrQ.reduce((a, q) => a + (q <= 0.05 ? 1 : 0), 0),
      ...(tfceFdr ? { voxelsTfceFdr05: tfceFdr.reduce((a, q) => a + (q <= 0.05 ? 1 : 0), 0) } : {}),
    };
    specificity ??= r;
    specificitySets[name] = r;
  }
  if (ctx.randomControlsKey) await put('tables/random_controls.csv', await env.store.getText(ctx.randomControlsKey));
  const header = 'study,set,coordinates,seed_voxels,max_t,peak_x,peak_y,peak_z,min_t,trough_x,trough_y,trough_z,positive_voxels,negative_voxels';
  const rows = studies.map((s) => [s.study, s.set, s.coordinates, s.seedVoxels, s.maxT, ...s.peakMni, s.minT, ...s.troughMni, s.positiveVoxels, s.negativeVoxels].map(csvField).join(','));
  await put('tables/studies.csv', [header, ...rows].join('\n') + '\n');

  const transitions = netmapCounts({ Chunks: { items: allChunks(ctx).length }, Specificity: { items: planSpecificity(ctx)?.batches.length ?? 0 } }).stateTransitions;
  const result: NetmapResult = {
    pipeline: 'netmap',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    connectome: { name: ctx.connectomeName, subjects: ctx.subjects.length, voxels: V },
    sphereDiameterMm: ctx.diameterMm,
    threshold: T,
    dof,
    studies,
    overlap: { studies: studyCount, maxPositive: maxPositive / studyCount, maxNegative: maxNegative / studyCount, voxelsAllPositive: allPos, voxelsAllNegative: allNeg },
    ...(specificity ? { specificity } : {}),
    ...(Object.keys(specificitySets).length > 1 || specificity?.set ? { specificitySets } : {}),
    ...(sweep ? { sweep } : {}),
    ...(connectomes ? { connectomes } : {}),
    validation,
    ...(dbs ? { dbs } : {}),
    shards: { chunks: chunks.length },
    cost: await jobCost(env, workDir, startedMs, transitions),
    outputs: [],
    methods: '',
  };
  result.methods =
    `Seed-based network mapping on the normative connectome "${ctx.connectomeName}" (${ctx.subjects.length} subjects). ` +
    `Each study's seed was the union of ${ctx.diameterMm} mm-diameter spheres around its coordinates (voxel centres within the radius, inclusive) or its mask (values as weights), restricted to the connectome mask. ` +
    `Per subject and run the seed time course (weighted mean of seed voxels) was correlated with every voxel; r was averaged over runs and Fisher z-transformed (|r| clamped to 1 − 1e-7). ` +
    `A one-sample t-test of z across subjects (df ${dof}) gave each study's network; networks were binarised at t > ${T} and t < −${T}${ctx.maskUri ? ' within inputs.mask' : ''} and their overlap is the fraction of the ${studyCount} studies.` +
    (specificity
      ? ` Specificity: the ${studyCount} studies' ${specificity.map} maps were compared with the ${specificity.controls} control studies'${specificity.set ? ` of each control set (${Object.values(specificitySets).map((x) => `${x.set}: ${x.controls}`).join(', ')})` : ''} voxelwise by a two-sample permutation test (label exchange, ${specificity.permutations} permutations${specificity.exhaustive ? ', exhaustive' : ''}; ${specificity.statistics.join(', ')}; FDR by Benjamini–Hochberg on the uncorrected voxelwise and TFCE p, as PALM's -fdr).`
      : '') +
    (ctx.randomControlsKey
      ? ` Random-coordinate controls: each study's coordinates were redistributed uniformly among the voxels of ${ctx.job.params.randomControls!.mask ? 'params.randomControls.mask' : 'the connectome mask'} (inside the connectome mask; distinct voxels per control), ${ctx.job.params.randomControls!.repetitions} times, from job seed ${ctx.job.seed} (tables/random_controls.csv).`
      : '') +
    (sweep
      ? ` Sensitivity sweep: ${sweep.variants.length} variants (thresholds ${sweep.thresholds.join(', ')}; diameters ${sweep.diametersMm.join(', ')} mm${sweep.variants.some((v) => v.subset !== 'all' && v.subset !== 'per coordinate') ? '; study subsets and leave-one-level-out sets' : ''}${sweep.variants.some((v) => v.subset === 'per coordinate') ? '; every coordinate its own seed' : ''}) from the ${sweep.seeds} seed maps of the same single connectome pass; each variant's overlap was correlated (Pearson, connectome voxels) with the main network's (${sweep.variants[0]!.variant}).`
      : '');
  if (ctx.roiTargets) {
    result.roiConnectivity = await reduceRoiConnectivity(env, ctx, chunks.map((c) => c.index), (rel, body) => put(rel, body));
    const rc = result.roiConnectivity;
    result.methods += ` ROI-to-ROI connectivity: in each of the ${ctx.subjects.length} connectome subjects, the source ROI's time course (weighted mean of its voxels) was correlated with each of the ${ctx.roiTargets.length} target ROIs' (r averaged over runs, Fisher z); a target group's value is the mean z of its targets; the groups were compared by a one-way repeated-measures ANOVA (the same subjects contribute to every group, so subjects are a random factor; Greenhouse–Geisser epsilon reported) with paired post-hoc t-tests (Holm and Bonferroni): F(${rc.anova.dfConditions}, ${rc.anova.dfError}) = ${rc.anova.F}, p = ${rc.anova.p}${rc.excluded.length ? `; ${rc.excluded.length} subject(s) without a defined r left out` : ''}.`;
  }
  if (connectomes) result.methods += ` The same seeds were mapped on ${connectomes.names.length - 1} further connectome(s) (${connectomes.names.slice(1).join(', ')}; one pass each, same threshold and mask), and the overlap networks compared by spatial correlation (Pearson r over the connectome voxels; tables/connectomes.csv).`;
  const vr = result.validation;
  result.methods +=
    (vr.eeg ? ` Validation: mean overlap in ${ctx.job.params.validation.eegDiameterMm} mm-diameter spheres at the 19 10–20 electrode positions (Okamoto et al. 2004).` : '') +
    (vr.roiTests ? ` Study-level ROI test: mean overlap in each study's ROI (union of ${vr.roiTests.sphereDiameterMm} mm-diameter spheres), ${vr.roiTests.groups[0]} (n = ${vr.roiTests.n[0]}) vs ${vr.roiTests.groups[1]} (n = ${vr.roiTests.n[1]}) by Welch's t-test and a label-exchange permutation p (${vr.roiTests.permutation.exact ? 'all splits enumerated' : `${vr.roiTests.permutation.permutations} permutations`}).` : '') +
    (vr.lesionTests ? ` Lesion-mask test: mean overlap within each lesion mask, ${vr.lesionTests.groups[0]} (n = ${vr.lesionTests.n[0]}) vs ${vr.lesionTests.groups[1]} (n = ${vr.lesionTests.n[1]}) by Welch's t-test and a label-exchange permutation p.` : '') +
    (vr.labelValues ? ` Mean overlap per atlas label, ranked (tables/overlap_label_values.csv).` : '');
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, 'result.json'], { jobUri: ctx.jobUri, ...(specNulls ? { extras: { netmap: { nulls: specNulls } } } : {}), writer });

}

export interface RoiConnectivityResult {
  design: 'repeated-measures';
  groups: string[];
  subjects: number;
  excluded: string[];
  groupMeans: number[];
  anova: { F: number; dfConditions: number; dfError: number; p: number; partialEtaSquared: number; greenhouseGeisser: { epsilon: number; p: number } };
  posthoc: { a: string; b: string; meanDiff: number; t: number; df: number; p: number; pHolm: number; pBonferroni: number }[];
}

/** The per-chunk subject × target tables of the pass → tables and the repeated-measures ANOVA across target groups. */
async function reduceRoiConnectivity(env: TaskEnv, ctx: NetmapContext, chunkIndices: number[], put: (rel: string, body: string) => Promise<void>): Promise<RoiConnectivityResult> {
  const targets = ctx.roiTargets!;
  const subjects: string[] = [];
  const z: Float64Array[] = [];
  for (const i of chunkIndices) {
    for (const row of JSON.parse(await env.store.getText(keys.roiChunk(ctx.passDir, i))) as { subject: string; z: (number | null)[] }[]) {
      subjects.push(row.subject);
      z.push(Float64Array.from(row.z, (x) => (x === null ? NaN : x)));
    }
  }
  const r = roiConnectivityAnova(subjects, z, targets, 'params.roiConnectivity');
  const f = (x: number, d = 6) => (Number.isFinite(x) ? Number(x.toFixed(d)) : NaN);
  await put('tables/roi_connectivity_subjects.csv', [['subject', ...targets.map((t) => t.name)].map(csvField).join(','), ...subjects.map((s, i) => [s, ...Array.from(z[i]!, (x) => f(x, 8))].map(csvField).join(','))].join('\n') + '\n');
  const G = r.groups.length;
  await put('tables/roi_connectivity_groups.csv', [['subject', ...r.groups].map(csvField).join(','), ...r.subjects.map((s, i) => [s, ...Array.from(r.values.subarray(i * G, (i + 1) * G), (x) => f(x, 8))].map(csvField).join(','))].join('\n') + '\n');
  const a = r.anova;
  const posthoc = a.posthoc.map((p) => ({ a: r.groups[p.a]!, b: r.groups[p.b]!, meanDiff: f(p.meanDiff), t: f(p.t), df: p.df, p: f(p.p, 8), pHolm: f(p.pHolm, 8), pBonferroni: f(p.pBonferroni, 8) }));
  await put('tables/roi_connectivity_posthoc.csv', ['group_a,group_b,mean_diff,t,df,p,p_holm,p_bonferroni', ...posthoc.map((p) => [p.a, p.b, p.meanDiff, p.t, p.df, p.p, p.pHolm, p.pBonferroni].map(csvField).join(','))].join('\n') + '\n');
  return {
    design: 'repeated-measures',
    groups: r.groups,
    subjects: r.subjects.length,
    excluded: r.excluded,
    groupMeans: a.conditionMeans.map((x) => f(x)),
    anova: { F: f(a.F), dfConditions: a.dfConditions, dfError: a.dfError, p: f(a.p, 10), partialEtaSquared: f(a.partialEtaSquared), greenhouseGeisser: { epsilon: f(a.greenhouseGeisser.epsilon), p: f(a.greenhouseGeisser.p, 10) } },
    posthoc,
  };
}

export interface ConnectomeComparison {
  names: string[];
  subjects: number[];
  /** r of the overlap maps and the median over studies of r of their t maps, per pair of connectomes */
  pairs: { a: string; b: string; rOverlap: number; medianStudyR: number }[];
}

export interface SweepResult {
  thresholds: number[];
  diametersMm: number[];
  /** distinct seed maps of the pass (studies × diameters, coordinates; identical seeds share one) */
  seeds: number;
  variants: { variant: string; threshold: number; diameterMm: number; subset: string; studies: number; peak: number; peakMni: [number, number, number]; rWithMain: number }[];
}

/**
 * Every sweep variant from the per-seed t maps of the one pass: its overlap (the same overlap
 * and mask restriction as the main network, so a variant equals the configuration run as its
 * own job), maps/sweep/<variant>_overlap.nii.gz and a row of tables/sweep.csv.
 */
async function reduceSweep(
  ctx: NetmapContext,
  tAll: Float32Array,
  toGrid: (values: ArrayLike<number>) => Float32Array,
  restrict: Uint8Array | undefined,
  cmask: Uint8Array,
  writeMap: (rel: string, data: Float32Array, description: string) => Promise<void>,
  put: (rel: string, body: string) => Promise<void>,
): Promise<SweepResult> {
  const { geometries, variants } = ctx.sweep!;
  const V = ctx.voxels;
  const grid = { dims: ctx.grid.dims, affine: ctx.grid.affine };
  const tMapOf = (id: string) => {
    const k = geometries[id];
    if (k === undefined) throw new InvalidParameter(`sweep geometry ${id} has no seed map`, 'params.sweep');
    const t = toGrid(tAll.subarray(k * V, (k + 1) * V));
    if (restrict) for (let g = 0; g < t.length; g++) if (!restrict[g]) t[g] = 0;
    return t;
  };
  const nVox = cmask.length;
  const main = variantOverlap(variants[0]!, tMapOf, nVox);
  const rows: SweepRow[] = [];
  for (const v of variants) {
    const o = v === variants[0] ? main : variantOverlap(v, tMapOf, nVox);
    await writeMap(`maps/sweep/${v.name}_overlap.nii.gz`, o.signed, `${v.name}: (positive - negative) / ${o.n} seeds at t > ${v.threshold}`);
    rows.push(sweepRows([variants[0]!, v], new Map([[variants[0]!.name, main], [v.name, o]]), grid, cmask).at(-1)!);
  }
  const r6 = (x: number) => Number(x.toFixed(6));
  const header = 'variant,threshold,diameter_mm,subset,studies,peak,peak_x,peak_y,peak_z,r_with_main';
  await put('tables/sweep.csv', [header, ...rows.map((r) => [r.variant, r.threshold, r.diameterMm, r.subset, r.studies, r6(r.peakValue), ...r.peakMm.map((x) => r6(x)), r6(r.rWithMain)].map(csvField).join(','))].join('\n') + '\n');
  const uniq = (xs: number[]) => [...new Set(xs)];
  return {
    thresholds: uniq(variants.map((v) => v.threshold)),
    diametersMm: uniq(variants.map((v) => v.diameterMm)),
    seeds: new Set(Object.values(geometries)).size,
    variants: rows.map((r) => ({ variant: r.variant, threshold: r.threshold, diameterMm: r.diameterMm, subset: r.subset, studies: r.studies, peak: r6(r.peakValue), peakMni: r.peakMm.map((x) => r6(x)) as [number, number, number], rWithMain: r6(r.rWithMain) })),
  };
}

export interface DbsResult {
  patients: number;
  map: 't' | 'meanZ';
  normalise: 'sum' | 'abs' | 'none';
  outcomes: { min: number; max: number; mean: number };
  /** spatial correlation (Pearson, connectome voxels) of the DBS network with the overlap map */
  correlationWithOverlap: number;
  /** median, IQR, mean ± SE, responders (> params.dbs.responderThreshold) of the outcomes */
  outcomeSummary?: OutcomeSummary;
  /** params.dbs.external: correlation with the external network; the convergent map's peak in params.dbs.peakLabels and its sweet-spot distances */
  external?: { voxels: number; pearson: number; spearman: number; regionPeak?: DbsRegionPeak };
  /** without external: the peak of the DBS × overlap convergent map in params.dbs.peakLabels */
  regionPeak?: DbsRegionPeak;
}

export interface DbsRegionPeak {
  value: number;
  mni: [number, number, number];
  ties: number;
  sweetSpots: { label: string; mni: [number, number, number]; distanceMm: number; minDistanceMm: number }[];
}

export interface ValidationResult {
  peaks: { value: number; mni: [number, number, number]; label: string }[];
  eeg?: { label: string; mni: [number, number, number]; voxels: number; mean: number }[];
  atlas?: { labels: number[]; meanX100: number; nullMasks: number; p: number };
  reference?: { overlap: number; studies: Record<string, number>; voxels: number };
  labelValues?: { label: number; name: string; voxels: number; mean: number; rank: number }[];
  roiTests?: GroupTestResult & { sphereDiameterMm: number };
  lesionTests?: GroupTestResult;
}

export interface GroupTestResult {
  groups: [string, string];
  n: [number, number];
  means: [number, number];
  welch: { t: number; df: number; p: number };
  permutation: { p: number; permutations: number; exact: boolean };
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
    const values = eegElectrodeValues(overlap, grid, readFileSync(assetPath('netmap/eeg_1020_mni.csv'), 'utf8'), cmask, v.eegDiameterMm, 'params.validation.eeg');
    out.eeg = values.map((e) => ({ label: e.label, mni: e.mm, voxels: e.nVoxels, mean: round(e.mean, 6) }));
    const rows = out.eeg.map((e) => [e.label, ...e.mni, e.voxels, e.mean].map(csvField).join(','));
    await put('tables/overlap_eeg_1020.csv', ['electrode,x,y,z,voxels,mean_overlap', ...rows].join('\n') + '\n');
  }
  if (v.labelValues && atlas) {
    const rows = labelValues(overlap, atlas, { mask: cmask, ...(labels ? { names: labels } : {}) }, 'inputs.atlas');
    out.labelValues = rows.map((r) => ({ label: r.label, name: r.name, voxels: r.voxels, mean: round(r.mean, 6), rank: r.rank }));
    await put('tables/overlap_label_values.csv', ['rank,label,name,voxels,mean_overlap', ...out.labelValues.map((r) => [r.rank, r.label, r.name, r.voxels, r.mean].map(csvField).join(','))].join('\n') + '\n');
  }
  const groupTest = async (kind: 'roi' | 'lesion', groups: { group: string; values: RoiValue[] }[], permutations: number) => {
    const [a, b] = groups as [(typeof groups)[0], (typeof groups)[0]];
    const va = a.values.map((x) => x.mean);
    const vb = b.values.map((x) => x.mean);
    let splits = 1;
    for (let i = 1; i <= va.length; i++) splits = (splits * (vb.length + i)) / i;
    // every split enumerated when there are no more of them than the permutations asked for
    const test = twoGroupTest(va, vb, Math.round(splits) <= permutations ? { exact: true } : { permutations, seed: ctx.job.seed }, `params.${kind}Tests`);
    await put(`tables/${kind}_tests.csv`, ['group,name,voxels,mean_overlap', ...groups.flatMap((g) => g.values.map((x) => [g.group, x.name, x.voxels, round(x.mean, 6)].map(csvField).join(',')))].join('\n') + '\n');
    return {
      groups: [a.group, b.group] as [string, string],
      n: [va.length, vb.length] as [number, number],
      means: [round(test.welch.meanA, 6), round(test.welch.meanB, 6)] as [number, number],
      welch: { t: round(test.welch.t, 6), df: round(test.welch.df, 4), p: round(test.welch.p, 6) },
      permutation: { p: round(test.permutation.p, 6), permutations: test.permutation.permutations, exact: test.permutation.exact },
    };
  };
  if (ctx.roiGroups) {
    const D = ctx.job.params.roiTests!.sphereDiameterMm ?? ctx.diameterMm;
    const groups = ctx.roiGroups.map((g) => ({ group: g.group, values: studyRoiValues(overlap, grid, g.studies, D, cmask, `params.roiTests.groups.${g.group}`) }));
    out.roiTests = { sphereDiameterMm: D, ...(await groupTest('roi', groups, ctx.job.params.roiTests!.permutations)) };
  }
  if (ctx.lesionGroups) {
    const groups: { group: string; values: RoiValue[] }[] = [];
    for (const g of ctx.lesionGroups) {
      const masks = [];
      for (const m of g.masks) masks.push({ name: m.name, data: readNifti(await readUri(m.uri), `params.lesionTests.groups.${g.group}`).data });
      groups.push({ group: g.group, values: maskValues(overlap, masks, `params.lesionTests.groups.${g.group}`) });
    }
    out.lesionTests = await groupTest('lesion', groups, ctx.job.params.lesionTests!.permutations);
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

