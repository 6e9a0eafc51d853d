import type { Store } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import type { AleGrid } from '../../ale/ale.ts';
import { aleClusters } from '../../ale/clusters.ts';
import type { AleCluster } from '../../ale/clusters.ts';
import { minClusterSize, nullToP, sortedNull } from '../../ale/fwe.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import { f64 } from '../common/bytes.ts';
import type { AleContext } from './context.ts';
import { loadObserved } from './observe.ts';
import type { ObservedMaps } from './observe.ts';

export interface MonteCarloNull {
  maxAle: Float64Array;
  maxSize: Float64Array;
  maxMass: Float64Array;
}

/** Per-iteration maxima of one set, batches combined in shard order. */
export async function readMonteCarlo(store: Store, ctx: AleContext, set: 'A' | 'B'): Promise<MonteCarloNull> {
  const iters = ctx.job.params.iterations;
  const out = { maxAle: new Float64Array(iters), maxSize: new Float64Array(iters), maxMass: new Float64Array(iters) };
  for (const b of set === 'A' ? ctx.batches : ctx.batchesB) {
    const r = f64(await store.get(set === 'A' ? keys.batch(ctx.workDir, b.index) : keys.batchB(ctx.workDir, b.index)));
    for (let k = b.k0; k < b.k1; k++) {
      const o = (k - b.k0) * 3;
      out.maxAle[k] = r[o]!;
      out.maxSize[k] = r[o + 1]!;
      out.maxMass[k] = r[o + 2]!;
    }
  }
  return out;
}

/** The primary cFWE level: the first params.fweAlpha (jackknife, contrast domain, conjunction). */
export const primaryAlpha = (ctx: AleContext) => ctx.job.params.fweAlpha[0]!;

export interface ThresholdedSet {
  obs: ObservedMaps;
  clusters: AleCluster[];
  /** full grid: cluster position + 1 (clusters in aleClusters order), 0 elsewhere */
  labels: Int32Array;
  pFweSize: number[];
  /** cFWE extent at the primary alpha (null: the iterations cannot resolve it) */
  minClusterSize: number | null;
  /** full grid: ALE in clusters with size FWE p < primary alpha, 0 elsewhere */
  thresholded: Float64Array;
}

/** The clusters of one set's observed analysis, their size FWE p and the cFWE-thresholded ALE map. */
export function thresholdSet(grid: AleGrid, obs: ObservedMaps, ctx: AleContext, mc: MonteCarloNull): ThresholdedSet {
  const { clusters, labels: raw } = aleClusters(grid, obs.ale, obs.clusterFormingAle);
  const nullSize = sortedNull(mc.maxSize);
  const pFweSize = clusters.map((c) => nullToP(nullSize, c.voxels));
  const alpha = primaryAlpha(ctx);
  const pos = new Int32Array(clusters.length + 1);
  clusters.forEach((c, i) => (pos[c.label] = i + 1));
  const labels = new Int32Array(raw.length);
  const thresholded = new Float64Array(raw.length);
  for (let v = 0; v < raw.length; v++) {
    const l = raw[v]!;
    if (!l) continue;
    const p = pos[l]!;
    labels[v] = p;
    if (pFweSize[p - 1]! < alpha) thresholded[v] = obs.ale[v]!;
  }
  return { obs, clusters, labels, pFweSize, minClusterSize: minClusterSize(nullSize, alpha), thresholded };
}

export interface ThresholdSummary {
  alpha: number;
  a: { clusterFormingAle: number; minClusterSize: number | null; nClusters: number };
  b?: { clusterFormingAle: number; minClusterSize: number | null; nClusters: number };
  domainVoxels?: number;
}

/**
 * After the Monte-Carlo nulls: the full analysis's clusters (labels for the jackknife)
 * and the contrast domain (union of both sets' cFWE-thresholded maps, or the mask).
 */
export async function thresholdAle(env: TaskEnv, contextKey: string): Promise<ThresholdSummary> {
  const ctx = await loadContext(env.store, contextKey);
  const key = keys.thresholds(ctx.workDir);
  if (await env.store.exists(key)) return JSON.parse(await env.store.getText(key)) as ThresholdSummary;
  const grid = await loadGrid(ctx);
  const a = thresholdSet(grid, await loadObserved(env.store, ctx, grid, 'A'), ctx, await readMonteCarlo(env.store, ctx, 'A'));
  const summary: ThresholdSummary = {
    alpha: primaryAlpha(ctx),
    a: { clusterFormingAle: a.obs.clusterFormingAle, minClusterSize: a.minClusterSize, nClusters: a.clusters.length },
  };
  if (ctx.jackknifeShards.length) await env.store.put(keys.clusterLabels(ctx.workDir), new Uint8Array(a.labels.buffer));
  if (ctx.experiments2) {
    const b = thresholdSet(grid, await loadObserved(env.store, ctx, grid, 'B'), ctx, await readMonteCarlo(env.store, ctx, 'B'));
    summary.b = { clusterFormingAle: b.obs.clusterFormingAle, minClusterSize: b.minClusterSize, nClusters: b.clusters.length };
    const all = ctx.job.params.contrast?.domain === 'mask';
    const list: number[] = [];
    for (const v of grid.maskIndex) if (all || a.thresholded[v]! > 0 || b.thresholded[v]! > 0) list.push(v);
    summary.domainVoxels = list.length;
    await env.store.put(keys.domain(ctx.workDir), new Uint8Array(Int32Array.from(list).buffer));
  }
  await env.store.put(key, JSON.stringify(summary));
  return summary;
}

