import { finishJob, jobCost } from '../common/finish.ts';
import type { MapInfo } from '../common/finish.ts';
import { aleOutputWriter, mapInfo, observedMapFiles } from './outputs.ts';
import { aleCounts } from './workflow.ts';
import { readMetrics } from '../../runtime/task.ts';
import { actualCost } from '../../jobs/cost.ts';
import type { CostEstimate, TaskType } from '../../jobs/cost.ts';
import { readNifti, voxelToMm } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import { labelAtVoxel, parseLabelTable } from '../../volume/atlas-labels.ts';
import type { TaskEnv, TaskMetrics } from '../../runtime/task.ts';
import { observeMa } from '../../ale/analysis.ts';
import { aleClusters } from '../../ale/clusters.ts';
import { minClusterSize, nullToP, sortedNull } from '../../ale/fwe.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import { primaryAlpha, readMonteCarlo } from './threshold.ts';
import { contrastOutputs, jackknifeOutputs } from './jackknife-contrast-outputs.ts';
import type { ContrastResult } from './jackknife-contrast-outputs.ts';
import type { AleContext } from './context.ts';
import { describeAle } from './methods.ts';
import { loadObserved } from './observe.ts';
import { monteCarloItems } from './montecarlo.ts';
import type { AleClusterRecord, AleResult } from './result.ts';

const round = (x: number, d = 6) => Number(x.toPrecision(d + 1));

/** Combine the Monte-Carlo batches in shard order, infer clusters, write every output (result.json last). */
export async function reduceAle(env: TaskEnv, contextKey: string, startedMs = performance.now()): Promise<{ result: string }> {
  const ctx: AleContext = await loadContext(env.store, contextKey);
  const { workDir, resultsDir } = ctx;
  const params = ctx.job.params;
  const grid = await loadGrid(ctx);
  const [nx, ny] = grid.dims;
  const nVox = grid.mask.length;
  const voxMm3 = grid.voxelMm ** 3;
  const obs = await loadObserved(env.store, ctx, grid, 'A');
  const ss = obs.clusterFormingAle;

  const iters = params.iterations;
  const { maxAle, maxSize, maxMass } = await readMonteCarlo(env.store, ctx, 'A');
  const nullAle = sortedNull(maxAle);
  const nullSize = sortedNull(maxSize);
  const nullMass = sortedNull(maxMass);

  let atlas: Float32Array | undefined;
  let labels: Map<number, string> | undefined;
  if (ctx.atlasUri) atlas = readNifti(await readUri(ctx.atlasUri), 'inputs.atlas').data;
  if (ctx.atlasLabelsUri) labels = parseLabelTable(new TextDecoder().decode(await readUri(ctx.atlasLabelsUri)), 'inputs.atlasLabels');

  const ijkOf = (v: number) => [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))] as const;
  const mniOf = (v: number) => voxelToMm(grid.affine, ...ijkOf(v)).map((x) => round(x, 4)) as [number, number, number];

  const { clusters, labels: clusterLabels } = aleClusters(grid, obs.ale, ss);
  // leave-one-experiment-out contributions on the supra-threshold voxels
  const supraIdx = new Map<number, number>();
  for (let v = 0; v < nVox; v++) if (clusterLabels[v]) supraIdx.set(v, supraIdx.size);
  const nE = ctx.experiments.length;
  const maAt = new Float64Array(nE * supraIdx.size);
  // the MA maps (Observe keeps ALE and the null, not these)
  if (supraIdx.size) observeMa(grid, ctx.experiments, params.coordinateToVoxel).ma.forEach((m, e) => {
    for (let c = 0; c < m.index.length; c++) {
      const s = supraIdx.get(m.index[c]!);
      if (s !== undefined) maAt[e * supraIdx.size + s] = m.value[c]!;
    }
  });
  const sumAle = new Float64Array(clusters.length);
  const sumWithout = new Float64Array(clusters.length * nE);
  const clusterPos = new Map(clusters.map((c, i) => [c.label, i]));
  for (const [v, s] of supraIdx) {
    const ci = clusterPos.get(clusterLabels[v]!)!;
    sumAle[ci]! += obs.ale[v]!;
    for (let e = 0; e < nE; e++) {
      let q = 1;
      for (let f = 0; f < nE; f++) if (f !== e) q *= 1 - maAt[f * supraIdx.size + s]!;
      sumWithout[ci * nE + e]! += 1 - q;
    }
  }

  const records: AleClusterRecord[] = clusters.map((c, ci) => ({
    voxels: c.voxels,
    volumeMm3: c.voxels * voxMm3,
    peakAle: c.peakAle,
    peakMni: mniOf(c.peakIndex),
    mass: c.mass,
    pFweSize: nullToP(nullSize, c.voxels),
    pFweMass: nullToP(nullMass, c.mass),
    label: atlas && labels ? labelAtVoxel(atlas, labels, c.peakIndex) : atlas ? String(Math.round(atlas[c.peakIndex]!)) : '',
    contributions: Object.fromEntries(ctx.experiments.map((x, e) => [x.id, round((100 * (sumAle[ci]! - sumWithout[ci * nE + e]!)) / sumAle[ci]!, 4)])),
  }));

  const writer = await aleOutputWriter(env, ctx, grid);
  const { outputs, put, putMap, putTable } = writer;
  // maps are compressed and stored while the reducer goes on (finishJob waits for writer.settled() before result.json)
  const writeMap = async (rel: string, data: Float64Array, description: string, more: Partial<MapInfo> = {}) => void putMap(rel, data, mapInfo(rel, description, more));

  let maxIdx = grid.maskIndex[0]!;
  let nP001 = 0;
  const logp = new Float64Array(nVox);
  for (const v of grid.maskIndex) {
    if (obs.ale[v]! > obs.ale[maxIdx]!) maxIdx = v;
    if (obs.p[v]! < 0.001) nP001++;
    logp[v] = -Math.log10(nullToP(nullAle, obs.ale[v]!));
  }
  const cft = { clusterFormingP: params.clusterFormingP, clusterFormingAle: ss };
  // the observed maps (ALE, p, z): the Monte-Carlo fan-out's observed-maps item wrote them
  outputs.push(...observedMapFiles());
  const cfwe: Record<string, number | null> = {};
  for (const alpha of params.fweAlpha) {
    const key = String(alpha);
    cfwe[key] = minClusterSize(nullSize, alpha);
    const keep = new Set(clusters.filter((_, i) => records[i]!.pFweSize < alpha).map((c) => c.label));
    const map = new Float64Array(nVox);
    for (let v = 0; v < nVox; v++) if (keep.has(clusterLabels[v]!)) map[v] = obs.z[v]!;
    await writeMap(`maps/cfwe_${key}_z.nii.gz`, map, `z in clusters with size FWE p < ${key}`, { kind: 'cluster', thresholds: { ...cft, clusterFweAlpha: alpha, minClusterVoxels: cfwe[key] }, extra: { Correction: 'Monte-Carlo cluster-size FWE', Iterations: iters } });
  }
  await writeMap('maps/voxel_fwe_logp.nii.gz', logp, '-log10 voxel FWE p (Monte-Carlo max ALE)', { extra: { Correction: 'Monte-Carlo voxel FWE (maximum ALE)', Iterations: iters } });

  const warnings = [...ctx.warnings];
  if (ctx.jackknifeShards.length) {
    const jk = await jackknifeOutputs(env.store, ctx, records.map((r) => r.voxels));
    jk.perCluster.forEach((j, i) => (records[i]!.jackknife = j));
    await put('tables/jackknife.csv', jk.csv);
  }
  let contrast: ContrastResult | undefined;
  if (ctx.experiments2) {
    const alpha = primaryAlpha(ctx);
    const thresholdedA = new Float64Array(nVox);
    const keepA = new Set(clusters.filter((_, i) => records[i]!.pFweSize < alpha).map((c) => c.label));
    for (let v = 0; v < nVox; v++) if (keepA.has(clusterLabels[v]!)) thresholdedA[v] = obs.ale[v]!;
    contrast = await contrastOutputs(env.store, ctx, grid, obs.ale, thresholdedA, mniOf, writeMap);
    if (contrast.domainVoxels === 0) warnings.push(`no voxel survives cFWE ${alpha} in either set, so the contrast tested no voxel (use params.contrast.domain "mask" to test every voxel)`);
  }

  const ids = ctx.experiments.map((e) => e.id);
  const cols: [string, string][] = [
    ['cluster', 'cluster_id'], ['voxels', 'size_voxels'], ['volume_mm3', 'volume_mm3'], ['peak_ale', 'peak_ale'], ['peak_x', 'peak_x_mm'], ['peak_y', 'peak_y_mm'], ['peak_z', 'peak_z_mm'],
    ['mass', 'mass'], ['p_fwe_size', 'p_fwe_size'], ['p_fwe_mass', 'p_fwe_mass'], ['label', 'label'], ...ids.map((id): [string, string] => [`contribution_pct:${id}`, `contribution_pct_${id.replace(/[^A-Za-z0-9]+/g, '_')}`]),
  ];
  await putTable('tables/clusters', cols, records.map((r, i) => [i + 1, r.voxels, r.volumeMm3, round(r.peakAle, 7), ...r.peakMni, round(r.mass, 7), round(r.pFweSize, 6), round(r.pFweMass, 6), r.label, ...ids.map((id) => r.contributions[id]!)]));

  const transitions = aleCounts({ MonteCarlo: { items: monteCarloItems(ctx) }, Jackknife: { items: ctx.jackknifeShards.length }, Contrast: { items: ctx.contrastBatches.length } }).stateTransitions;
  const result: AleResult = {
    pipeline: 'ale',
    status: 'succeeded',
    jobId: ctx.jobId,
    specHash: ctx.specHash,
    nExperiments: ctx.experiments.length,
    nFoci: ctx.experiments.reduce((a, e) => a + e.foci.length, 0),
    nSubjects: ctx.experiments.reduce((a, e) => a + e.sampleSize, 0),
    maskVoxels: grid.maskIndex.length,
    maskSource: ctx.maskSource,
    coordinateToVoxel: params.coordinateToVoxel,
    maxAle: obs.ale[maxIdx]!,
    maxAleMni: mniOf(maxIdx),
    nVoxelsP001: nP001,
    clusterFormingP: params.clusterFormingP,
    clusterFormingAle: ss,
    iterations: iters,
    cfwe,
    clusters: records,
    ...(contrast ? { contrast } : {}),
    warnings,
    shards: { batches: ctx.batches.length },
    cost: await jobCost(env, workDir, startedMs, transitions),
    outputs: [],
    methods: '',
  };
  result.methods = describeAle(ctx, result);
  return finishJob(env, resultsDir, result, ['job.json', ...outputs, 'result.json'], { jobUri: ctx.jobUri, extras: { ale: { nulls: { maxAle, maxSize, maxMass } } }, writer });
}
