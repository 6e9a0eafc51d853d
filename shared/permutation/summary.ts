/**
 * From the pooled null to p values: voxelwise uncorrected and FWE (max-T, TFCE),
 * cluster FWE (extent, mass) per observed cluster, BH FDR on the uncorrected
 * voxel p, and the null distributions' 95th/99th percentiles.
 */
import { bhAdjust } from '../stats/fdr.ts';
import { TIE, type BatchResult, type Observed, type PermutationSetup, type Statistic } from './engine.ts';

export interface PermCluster {
  /** compact voxel indices, ascending */
  voxels: Int32Array;
  size: number;
  mass: number;
  /** compact index of the voxel with the largest statistic */
  peak: number;
  pFweExtent: number;
  pFweMass: number;
}

export interface PermutationSummary {
  permutations: number;
  exhaustive: boolean;
  uniqueRelabellings: string;
  /** per in-mask voxel */
  uncorrectedP: Float64Array;
  fdrQ: Float64Array;
  fweP: Partial<Record<Statistic, Float64Array>>;
  tfceUncorrectedP?: Float64Array;
  clusters: PermCluster[];
  /** nearest-rank percentiles of each null maximum distribution */
  quantiles: Partial<Record<Statistic, { q95: number; q99: number }>>;
  /** the null maximum distributions of the requested statistics, sorted ascending (one value per permutation) */
  nulls: Partial<Record<Statistic, Float64Array>>;
}

/** #(null ≥ x)/N with the TIE tolerance, null sorted ascending. */
export function exceedP(sortedNull: Float64Array, x: number): number {
  const ref = x - TIE * Math.abs(x);
  let lo = 0;
  let hi = sortedNull.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedNull[mid]! < ref) lo = mid + 1;
    else hi = mid;
  }
  return (sortedNull.length - lo) / sortedNull.length;
}

export function nearestRank(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarise(setup: PermutationSetup, observed: Observed, pooled: BatchResult): PermutationSummary {
  const N = pooled.k1 - pooled.k0;
  const V = setup.lattice.V;
  const stats = setup.options.statistics;
  const uncorrectedP = new Float64Array(V);
  for (let v = 0; v < V; v++) uncorrectedP[v] = pooled.exceedStat[v]! / N;
  const sortedOf = (a: Float64Array) => Float64Array.from(a).sort();
  const nulls: Record<Statistic, Float64Array> = {
    maxT: sortedOf(pooled.maxStat),
    clusterExtent: sortedOf(pooled.maxExtent),
    clusterMass: sortedOf(pooled.maxMass),
    tfce: sortedOf(pooled.maxTfce),
  };
  const fweP: Partial<Record<Statistic, Float64Array>> = {};
  const quantiles: Partial<Record<Statistic, { q95: number; q99: number }>> = {};
  for (const s of stats) quantiles[s] = { q95: nearestRank(nulls[s], 0.95), q99: nearestRank(nulls[s], 0.99) };
  if (stats.includes('maxT')) {
    const p = new Float64Array(V);
    for (let v = 0; v < V; v++) p[v] = exceedP(nulls.maxT, observed.stat[v]!);
    fweP.maxT = p;
  }
  let tfceUncorrectedP: Float64Array | undefined;
  if (stats.includes('tfce') && observed.tfce) {
    const p = new Float64Array(V);
    tfceUncorrectedP = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      p[v] = exceedP(nulls.tfce, observed.tfce[v]!);
      tfceUncorrectedP[v] = pooled.exceedTfce[v]! / N;
    }
    fweP.tfce = p;
  }
  const clusters: PermCluster[] = [];
  if (stats.includes('clusterExtent') || stats.includes('clusterMass')) {
    const byRoot = new Map<number, number[]>();
    for (let v = 0; v < V; v++) {
      const r = observed.clusterRoot[v]!;
      if (r < 0) continue;
      let list = byRoot.get(r);
      if (!list) byRoot.set(r, (list = []));
      list.push(v);
    }
    for (const [r, list] of byRoot) {
      let peak = list[0]!;
      for (const v of list) if (observed.stat[v]! > observed.stat[peak]!) peak = v;
      const size = observed.clusterSize[r]!;
      const mass = observed.clusterMass[r]!;
      clusters.push({
        voxels: Int32Array.from(list),
        size,
        mass,
        peak,
        pFweExtent: exceedP(nulls.clusterExtent, size),
        pFweMass: exceedP(nulls.clusterMass, mass),
      });
    }
    clusters.sort((a, b) => b.size - a.size || b.mass - a.mass || a.peak - b.peak);
    const pe = new Float64Array(V).fill(1);
    const pm = new Float64Array(V).fill(1);
    for (const c of clusters) {
      for (const v of c.voxels) {
        pe[v] = c.pFweExtent;
        pm[v] = c.pFweMass;
      }
    }
    if (stats.includes('clusterExtent')) fweP.clusterExtent = pe;
    if (stats.includes('clusterMass')) fweP.clusterMass = pm;
  }
  return {
    permutations: N,
    exhaustive: setup.plan.exhaustive,
    uniqueRelabellings: setup.plan.set.unique.toString(),
    uncorrectedP,
    fdrQ: bhAdjust(uncorrectedP),
    fweP,
    tfceUncorrectedP,
    clusters,
    quantiles,
    nulls: Object.fromEntries(stats.map((s) => [s, nulls[s]])),
  };
}
