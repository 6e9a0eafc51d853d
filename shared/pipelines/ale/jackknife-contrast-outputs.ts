/** Jackknife and contrast parts of the ALE reducer (partials combined in fixed shard order). */
import { csvField } from '../../jobs/csv.ts';
import type { Store } from '../../storage/index.ts';
import type { AleGrid } from '../../ale/ale.ts';
import { contrastP } from '../../ale/contrast.ts';
import { pToZ } from '../../ale/null.ts';
import { labelComponents } from '../../volume/components.ts';
import { keys } from './context.ts';
import { i32 } from '../common/bytes.ts';
import type { AleContext } from './context.ts';
import type { JackknifePartial } from './jackknife.ts';
import { splitPartial } from './contrast.ts';
import { primaryAlpha, readMonteCarlo, thresholdSet } from './threshold.ts';
import type { ThresholdSummary } from './threshold.ts';
import { loadObserved } from './observe.ts';
import { minClusterSize, sortedNull } from '../../ale/fwe.ts';

export interface ClusterJackknife {
  /** the cFWE level whose extent threshold was applied (the first params.fweAlpha) */
  alpha: number;
  /** that extent threshold in voxels (null: the iterations cannot resolve alpha; then any overlapping supra-threshold cluster counts) */
  minClusterSize: number | null;
  /** whether the cluster itself reaches that extent in the full analysis (if not, it fails without every experiment) */
  survivesFull: boolean;
  /** true when the cluster survives whichever single experiment is left out */
  survivesAll: boolean;
  /** ids of the experiments without which the cluster does not survive */
  failsWithout: string[];
  /** failsWithout.length: how many experiments the cluster depends on individually */
  nExperimentsDriving: number;
  /** smallest leave-one-out maximum ALE within the cluster, and the experiment it belongs to */
  minMaxAle: number;
  minMaxAleWithout: string;
}

const round = (x: number, d = 6) => Number(x.toPrecision(d + 1));

/** Per-cluster jackknife summaries and the tables/jackknife.csv body (one row per cluster × experiment). */
export async function jackknifeOutputs(store: Store, ctx: AleContext, clusterVoxels: number[]): Promise<{ perCluster: ClusterJackknife[]; csv: string }> {
  const th = JSON.parse(await store.getText(keys.thresholds(ctx.workDir))) as ThresholdSummary;
  const nClusters = clusterVoxels.length;
  const nE = ctx.experiments.length;
  const survives = new Uint8Array(nClusters * nE);
  const maxAle = new Float64Array(nClusters * nE);
  const overlap = new Int32Array(nClusters * nE);
  for (const s of ctx.jackknifeShards) {
    const part = JSON.parse(await store.getText(keys.jackknife(ctx.workDir, s.index))) as JackknifePartial;
    for (const r of part.results) {
      for (let c = 0; c < nClusters; c++) {
        survives[c * nE + r.experiment] = r.survives[c]!;
        maxAle[c * nE + r.experiment] = r.maxAle[c]!;
        overlap[c * nE + r.experiment] = r.overlapVoxels[c]!;
      }
    }
  }
  const ids = ctx.experiments.map((e) => e.id);
  const rows = ['cluster,experiment_left_out,survives,max_ale,overlapping_cluster_voxels'];
  const perCluster: ClusterJackknife[] = [];
  for (let c = 0; c < nClusters; c++) {
    const fails: string[] = [];
    let mi = 0;
    for (let e = 0; e < nE; e++) {
      const i = c * nE + e;
      if (!survives[i]) fails.push(ids[e]!);
      if (maxAle[i]! < maxAle[c * nE + mi]!) mi = e;
      rows.push([c + 1, ids[e]!, survives[i] ? 'yes' : 'no', round(maxAle[i]!, 7), overlap[i]!].map(csvField).join(','));
    }
    perCluster.push({
      alpha: th.alpha,
      minClusterSize: th.a.minClusterSize,
      survivesFull: clusterVoxels[c]! >= (th.a.minClusterSize ?? 1),
      survivesAll: fails.length === 0,
      failsWithout: fails,
      nExperimentsDriving: fails.length,
      minMaxAle: maxAle[c * nE + mi]!,
      minMaxAleWithout: ids[mi]!,
    });
  }
  return { perCluster, csv: rows.join('\n') + '\n' };
}

export interface MapSummary {
  voxels: number;
  max: number;
  peakMni: [number, number, number] | null;
  clusters: { voxels: number; peak: number; peakMni: [number, number, number] }[];
}

export interface ContrastResult {
  alpha: number;
  iterations: number;
  p: number;
  domain: 'thresholded-union' | 'mask';
  domainVoxels: number;
  setB: {
    coordinatesFormat: string;
    nExperiments: number;
    nFoci: number;
    nSubjects: number;
    maxAle: number;
    maxAleMni: [number, number, number];
    clusterFormingAle: number;
    cfwe: Record<string, number | null>;
    clusters: { voxels: number; peakAle: number; peakMni: [number, number, number]; pFweSize: number }[];
  };
  /** one-sided A > B: voxels with p(A > B) < p; z = Φ⁻¹(1 − p) */
  aMinusB: MapSummary;
  bMinusA: MapSummary;
  /** voxelwise minimum of the two cFWE-thresholded ALE maps */
  conjunction: MapSummary;
  shards: { batches: number; batchesB: number };
}

function summarise(grid: AleGrid, map: Float64Array, mniOf: (v: number) => [number, number, number]): MapSummary {
  const bin = new Uint8Array(map.length);
  let voxels = 0;
  let best = -1;
  for (let v = 0; v < map.length; v++) {
    if (map[v]! > 0) {
      bin[v] = 1;
      voxels++;
      if (best < 0 || map[v]! > map[best]!) best = v;
    }
  }
  const { labels, count, sizes } = labelComponents(bin, grid.dims, 6);
  const peak = new Int32Array(count).fill(-1);
  for (let v = 0; v < map.length; v++) {
    const l = labels[v]!;
    if (l && (peak[l - 1]! < 0 || map[v]! > map[peak[l - 1]!]!)) peak[l - 1] = v;
  }
  const clusters = Array.from({ length: count }, (_, i) => ({ voxels: sizes[i]!, peak: map[peak[i]!]!, peakMni: mniOf(peak[i]!), at: peak[i]! }))
    .sort((a, b) => b.voxels - a.voxels || b.peak - a.peak || a.at - b.at)
    .map(({ at: _a, ...c }) => c);
  return { voxels, max: best < 0 ? 0 : map[best]!, peakMni: best < 0 ? null : mniOf(best), clusters };
}

/**
 * The contrast: set B's own analysis, permutation counts summed in shard order, one-sided
 * z maps, a signed two-sided z map (NiMARE's p), the raw difference and the conjunction.
 */
export async function contrastOutputs(
  store: Store,
  ctx: AleContext,
  grid: AleGrid,
  aleA: Float64Array,
  thresholdedA: Float64Array,
  mniOf: (v: number) => [number, number, number],
  writeMap: (rel: string, data: Float64Array, description: string) => Promise<void>,
): Promise<ContrastResult> {
  const params = ctx.job.params;
  const cp = params.contrast!;
  const alpha = primaryAlpha(ctx);
  const mcB = await readMonteCarlo(store, ctx, 'B');
  const b = thresholdSet(grid, await loadObserved(store, ctx, grid, 'B'), ctx, mcB);
  const nullSizeB = sortedNull(mcB.maxSize);
  const nVox = grid.mask.length;
  const domain = i32(await store.get(keys.domain(ctx.workDir)));
  const nD = domain.length;
  const ge = new Int32Array(nD);
  const le = new Int32Array(nD);
  for (const s of ctx.contrastBatches) {
    const part = splitPartial(await store.get(keys.contrast(ctx.workDir, s.index)), nD, s.k1 - s.k0);
    for (let i = 0; i < nD; i++) {
      ge[i]! += part.ge[i]!;
      le[i]! += part.le[i]!;
    }
  }
  const n = cp.iterations;
  const zAB = new Float64Array(nVox);
  const zBA = new Float64Array(nVox);
  const zTwo = new Float64Array(nVox);
  for (let i = 0; i < nD; i++) {
    const v = domain[i]!;
    const p = contrastP(ge[i]!, le[i]!, n);
    if (p.pAB < cp.p) zAB[v] = pToZ(p.pAB);
    if (p.pBA < cp.p) zBA[v] = pToZ(p.pBA);
    const sign = Math.sign(le[i]! - ge[i]!);
    zTwo[v] = sign * pToZ(p.pTwo / 2);
  }
  const diff = new Float64Array(nVox);
  for (const v of grid.maskIndex) diff[v] = aleA[v]! - b.obs.ale[v]!;
  const conj = new Float64Array(nVox);
  for (let v = 0; v < nVox; v++) if (thresholdedA[v]! > 0 && b.thresholded[v]! > 0) conj[v] = Math.min(thresholdedA[v]!, b.thresholded[v]!);

  await writeMap('maps/ale_B.nii.gz', b.obs.ale, 'ALE of set B (inputs.coordinates2)');
  await writeMap('maps/contrast_A_minus_B_ale.nii.gz', diff, 'ALE(A) - ALE(B)');
  await writeMap('maps/contrast_A_minus_B_z.nii.gz', zAB, `z of one-sided label-exchange p(A > B) < ${cp.p}`);
  await writeMap('maps/contrast_B_minus_A_z.nii.gz', zBA, `z of one-sided label-exchange p(B > A) < ${cp.p}`);
  await writeMap('maps/contrast_z_two_sided.nii.gz', zTwo, 'signed z of the two-sided label-exchange p (unthresholded, tested voxels)');
  await writeMap('maps/conjunction.nii.gz', conj, `min of the cFWE ${alpha} thresholded ALE maps of A and B`);

  let maxB = grid.maskIndex[0]!;
  for (const v of grid.maskIndex) if (b.obs.ale[v]! > b.obs.ale[maxB]!) maxB = v;
  const cfwe: Record<string, number | null> = {};
  for (const a of params.fweAlpha) cfwe[String(a)] = minClusterSize(nullSizeB, a);
  const eB = ctx.experiments2!;
  return {
    alpha,
    iterations: n,
    p: cp.p,
    domain: cp.domain,
    domainVoxels: nD,
    setB: {
      coordinatesFormat: ctx.coordinates2Format ?? '',
      nExperiments: eB.length,
      nFoci: eB.reduce((s, e) => s + e.foci.length, 0),
      nSubjects: eB.reduce((s, e) => s + e.sampleSize, 0),
      maxAle: b.obs.ale[maxB]!,
      maxAleMni: mniOf(maxB),
      clusterFormingAle: b.obs.clusterFormingAle,
      cfwe,
      clusters: b.clusters.map((c, i) => ({ voxels: c.voxels, peakAle: c.peakAle, peakMni: mniOf(c.peakIndex), pFweSize: b.pFweSize[i]! })),
    },
    aMinusB: summarise(grid, zAB, mniOf),
    bMinusA: summarise(grid, zBA, mniOf),
    conjunction: summarise(grid, conj, mniOf),
    shards: { batches: ctx.contrastBatches.length, batchesB: ctx.batchesB.length },
  };
}
