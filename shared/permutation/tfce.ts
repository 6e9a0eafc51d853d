/**
 * Threshold-free cluster enhancement (Smith & Nichols 2009):
 *
 *   TFCE(v) = Σ_{k=1..K} e_k(v)^E · h_k^H · dh,   h_k = k·dh,
 *
 * where e_k(v) is the extent of the cluster of {stat ≥ h_k} containing v (0 if
 * stat_v < h_k) and K is the largest k with k·dh ≤ max(stat). Defaults H = 2,
 * E = 0.5, dh = max(stat)/100 of each map (PALM's convention; a fixed dh may be
 * given instead). Only positive values are enhanced: for a two-tailed test the
 * caller passes |stat|.
 *
 * Instead of labelling the map once per height (K full passes), voxels enter a
 * union–find from the highest level down; each cluster's running contribution
 * is added at its root and propagated to members through per-node offsets
 * (value(v) = Σ of offsets on the path from v to its root), so the whole
 * transform costs one sweep over voxels and edges plus one pass over the live
 * roots per level. `tfceDirect` in the tests recomputes the definition plainly.
 */
import type { Lattice } from './lattice.ts';

export interface TfceParams {
  H: number;
  E: number;
  /** fixed height step; undefined = max/100 of each map */
  dh?: number;
}

export interface TfceWork {
  parent: Int32Array;
  size: Float64Array;
  acc: Float64Array;
  level: Int32Array;
  order: Int32Array;
  counts: Int32Array;
  roots: Int32Array;
  path: Int32Array;
}

export function tfceWork(V: number): TfceWork {
  return {
    parent: new Int32Array(V),
    size: new Float64Array(V),
    acc: new Float64Array(V),
    level: new Int32Array(V),
    order: new Int32Array(V),
    counts: new Int32Array(0),
    roots: new Int32Array(V),
    path: new Int32Array(V),
  };
}

/** Largest k ≥ 0 with k·dh ≤ x (exact against the products the definition uses). */
export function tfceLevel(x: number, dh: number): number {
  let k = Math.floor(x / dh);
  while (k > 0 && k * dh > x) k--;
  while ((k + 1) * dh <= x) k++;
  return k;
}

/** Height step used for a map whose maximum is `max`. */
export function tfceStep(max: number, params: TfceParams): number {
  return params.dh ?? max / 100;
}

function find(w: TfceWork, v: number): number {
  const { parent, acc, path } = w;
  let n = 0;
  let r = v;
  while (parent[r] !== r) {
    path[n++] = r;
    r = parent[r]!;
  }
  // Compress: each node on the path points at the root with its offset = sum of the
  // offsets from itself up to (excluding) the root.
  let sum = 0;
  for (let i = n - 1; i >= 0; i--) {
    const u = path[i]!;
    sum += acc[u]!;
    acc[u] = sum;
    parent[u] = r;
  }
  return r;
}

/**
 * TFCE of a compact statistic vector into `out` (same length); returns max(out).
 * Voxels with stat < dh get 0.
 */
export function tfce(stat: Float64Array, lat: Lattice, params: TfceParams, out: Float64Array, w: TfceWork): number {
  const V = lat.V;
  const { parent, size, acc, level, order, roots } = w;
  let max = 0;
  for (let v = 0; v < V; v++) if (stat[v]! > max) max = stat[v]!;
  out.fill(0, 0, V);
  if (!(max > 0)) return 0;
  const dh = tfceStep(max, params);
  const K = tfceLevel(max, dh);
  if (K < 1) return 0;
  // Counting sort of voxels by level, highest first.
  if (w.counts.length < K + 2) w.counts = new Int32Array(K + 2);
  const counts = w.counts;
  counts.fill(0, 0, K + 2);
  for (let v = 0; v < V; v++) {
    const s = stat[v]!;
    const k = s >= dh ? Math.min(K, tfceLevel(s, dh)) : 0;
    level[v] = k;
    counts[k]++;
  }
  // bucket start positions, levels K..1 in that order
  let pos = 0;
  const startOf = new Int32Array(K + 2);
  for (let k = K; k >= 1; k--) {
    startOf[k] = pos;
    pos += counts[k]!;
  }
  const fill = startOf.slice();
  for (let v = 0; v < V; v++) {
    const k = level[v]!;
    if (k > 0) order[fill[k]++] = v;
  }
  const { start, nbr } = lat;
  const H = params.H;
  const E = params.E;
  let nRoots = 0;
  for (let k = K; k >= 1; k--) {
    const a = startOf[k]!;
    const b = a + counts[k]!;
    for (let q = a; q < b; q++) {
      const v = order[q]!;
      parent[v] = v;
      size[v] = 1;
      acc[v] = 0;
      roots[nRoots++] = v;
    }
    for (let q = a; q < b; q++) {
      const v = order[q]!;
      for (let e = start[v]!, end = start[v + 1]!; e < end; e++) {
        const u = nbr[e]!;
        if (level[u]! < k) continue; // not yet entered
        let ra = find(w, v);
        let rb = find(w, u);
        if (ra === rb) continue;
        if (size[ra]! < size[rb]!) {
          const t = ra;
          ra = rb;
          rb = t;
        }
        parent[rb] = ra;
        acc[rb] -= acc[ra]!;
        size[ra] += size[rb]!;
      }
    }
    // add this level's contribution to every live cluster, dropping merged roots
    const h = k * dh;
    const hTerm = Math.pow(h, H) * dh;
    let live = 0;
    for (let i = 0; i < nRoots; i++) {
      const r = roots[i]!;
      if (parent[r] !== r) continue;
      roots[live++] = r;
      acc[r] += Math.pow(size[r]!, E) * hTerm;
    }
    nRoots = live;
  }
  let outMax = 0;
  for (let v = 0; v < V; v++) {
    if (level[v] === 0) continue;
    const r = find(w, v);
    const val = v === r ? acc[r]! : acc[v]! + acc[r]!;
    out[v] = val;
    if (val > outMax) outMax = val;
  }
  return outMax;
}
