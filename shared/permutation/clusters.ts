/**
 * Supra-threshold clusters of a compact statistic vector on a lattice, by
 * union–find over neighbour edges (no allocation per call: pass a ClusterWork).
 * Threshold inclusive (stat ≥ threshold). Mass = Σ stat over the cluster with no
 * threshold subtracted (the convention of PALM; FSL's randomise subtracts it).
 */
import type { Lattice } from './lattice.ts';

export interface ClusterWork {
  parent: Int32Array;
  size: Int32Array;
  mass: Float64Array;
}

export function clusterWork(V: number): ClusterWork {
  return { parent: new Int32Array(V), size: new Int32Array(V), mass: new Float64Array(V) };
}

function find(parent: Int32Array, v: number): number {
  while (parent[v] !== v) {
    const p = parent[v]!;
    parent[v] = parent[p]!;
    v = p;
  }
  return v;
}

/**
 * Label clusters of stat ≥ threshold. After the call, for every supra voxel v,
 * root = rootOf(work, v) identifies its cluster and work.size[root] / work.mass[root]
 * hold the cluster's extent and mass; parent[v] = −1 for sub-threshold voxels.
 * Returns the maximum extent and mass (0 when nothing survives).
 */
export function labelClusters(stat: Float64Array, threshold: number, lat: Lattice, work: ClusterWork): { maxExtent: number; maxMass: number } {
  const { parent, size, mass } = work;
  const { V, start, nbr } = lat;
  for (let v = 0; v < V; v++) {
    if (stat[v]! >= threshold) {
      parent[v] = v;
      size[v] = 1;
      mass[v] = stat[v]!;
    } else parent[v] = -1;
  }
  for (let v = 0; v < V; v++) {
    if (parent[v]! < 0) continue;
    for (let e = start[v]!, end = start[v + 1]!; e < end; e++) {
      const u = nbr[e]!;
      if (u <= v || parent[u]! < 0) continue;
      let a = find(parent, v);
      let b = find(parent, u);
      if (a === b) continue;
      if (size[a]! < size[b]! || (size[a] === size[b] && b < a)) {
        const t = a;
        a = b;
        b = t;
      }
      parent[b] = a;
      size[a] += size[b]!;
      mass[a] += mass[b]!;
    }
  }
  let maxExtent = 0;
  let maxMass = 0;
  for (let v = 0; v < V; v++) {
    if (parent[v] !== v) continue;
    if (size[v]! > maxExtent) maxExtent = size[v]!;
    if (mass[v]! > maxMass) maxMass = mass[v]!;
  }
  return { maxExtent, maxMass };
}

export function rootOf(work: ClusterWork, v: number): number {
  return work.parent[v]! < 0 ? -1 : find(work.parent, v);
}
