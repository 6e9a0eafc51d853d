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
 * Instead of labelling the map once per height (K full passes), the clusters of
 * all heights come from one union–find run in the manner of Kruskal: the edge
 * between two neighbouring voxels joins them from level min(level_u, level_v)
 * down, so the edges are bucketed by that level (one sweep over the voxels in
 * grid order through fixed offsets on the padded grid, then a counting-sort
 * scatter) and merged bucket by bucket from the highest level down. Within a
 * bucket the edges stay in grid order, so the union–find touches memory in a
 * forward sweep, and each edge is seen once (not once from each end).
 *
 * Most diagonal edges of a smooth map are redundant and are dropped before the
 * union–find: an edge u–v of weight w = min(level_u, level_v) whose ends share a
 * neighbour c with level_c ≥ w, reached from both ends by edges with fewer
 * non-zero offset components (c's offset from v takes each component either
 * from 0 or from the edge's own), is implied at every height h ≤ w by the path
 * u–c–v, whose edges have weight ≥ w. Face edges are always kept, and an edge
 * is only ever dropped in favour of shorter kinds, so the argument is well
 * founded: the clusters at every height, and the height at which any two join,
 * are exactly those of the full graph.
 *
 * A cluster's contribution is added at its root and reaches members through
 * per-node offsets (value(v) = Σ of offsets on the path from v to its root).
 * While a cluster keeps its size s from level k_a down to k_b it earns
 * s^E·(S(k_a) − S(k_b − 1)) with S(k) = Σ_{j≤k} (j·dh)^H·dh, so it is credited
 * only when its size changes (a merge) and once at the end: the transform costs
 * one sweep over voxels and edges, independent of K. Merge order differs from
 * the previous kernel (`tfceVoxelOrder`, its twin), so values agree with it and
 * with the per-height definition to rounding (tested at 1e-12 and 1e-10 relative).
 * No allocation per call once the work area has seen the lattice and K.
 */
import { paddedLattice, type Lattice } from './lattice.ts';
import { neighbourOffsets } from '../volume/components.ts';
import { keptEdges26, keptEdgesGeneric } from './tfce-edges.ts';

export interface TfceParams {
  H: number;
  E: number;
  /** fixed height step; undefined = max/100 of each map */
  dh?: number;
}

export interface TfceWork {
  parent: Int32Array;
  size: Int32Array;
  acc: Float64Array;
  level: Int32Array;
  top: Int32Array;
  path: Int32Array;
  /** 0, 1, …, V − 1 */
  identity: Int32Array;
  /** edges per level, their bucket fill pointers, and S(k) (length ≥ K + 1) */
  counts: Int32Array;
  hist: Int32Array;
  fill: Int32Array;
  S: Float64Array;
  /** per lattice: level on the padded grid (0 outside the mask) */
  levelGrid: Int32Array;
  /** per lattice: forward neighbour offsets on the padded grid, and the witnesses of each (witness[wStart[o] … wStart[o+1]) */
  forward: Int32Array;
  wStart: Int32Array;
  witness: Int32Array;
  /** kept edges in grid order (u and weight; those of voxel v from vStart[v]), then bucketed by weight, highest first (v, u pairs) */
  vStart: Int32Array;
  tmpU: Int32Array;
  tmpW: Int32Array;
  edges: Int32Array;
  lattice: Lattice | null;
}

export function tfceWork(V: number): TfceWork {
  return {
    parent: new Int32Array(V),
    size: new Int32Array(V),
    acc: new Float64Array(V),
    level: new Int32Array(V),
    top: new Int32Array(V),
    path: new Int32Array(V),
    identity: Int32Array.from({ length: V }, (_, v) => v),
    counts: new Int32Array(0),
    hist: new Int32Array(0),
    fill: new Int32Array(0),
    S: new Float64Array(0),
    levelGrid: new Int32Array(0),
    forward: new Int32Array(0),
    wStart: new Int32Array(0),
    witness: new Int32Array(0),
    vStart: new Int32Array(V + 1),
    tmpU: new Int32Array(0),
    tmpW: new Int32Array(0),
    edges: new Int32Array(0),
    lattice: null,
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

/** Root of v, compressing the path so that each node's offset sums the offsets up to (excluding) the root. */
function find(parent: Int32Array, acc: Float64Array, path: Int32Array, v: number): number {
  let n = 0;
  let r = v;
  while (parent[r] !== r) {
    path[n++] = r;
    r = parent[r]!;
  }
  let sum = 0;
  for (let i = n - 1; i >= 0; i--) {
    const u = path[i]!;
    sum += acc[u]!;
    acc[u] = sum;
    parent[u] = r;
  }
  return r;
}

function prepare(w: TfceWork, lat: Lattice, K: number): void {
  if (w.lattice !== lat) {
    const pad = paddedLattice(lat);
    const px = lat.dims[0] + 2;
    const py = lat.dims[1] + 2;
    const off = ([dx, dy, dz]: readonly number[]) => dx! + px * (dy! + py * dz!);
    // forward neighbours (positive padded offset) in ascending order, each with its witnesses
    const fwd = neighbourOffsets(lat.connectivity)
      .filter((d) => off(d) > 0)
      .sort((a, b) => off(a) - off(b));
    const wStart = [0];
    const witness: number[] = [];
    for (const d of fwd) {
      // c with c_i ∈ {0, d_i}, c ≠ 0, c ≠ d: adjacent to both ends through edges with fewer non-zero components
      const nz = d.map((x, i) => (x !== 0 ? i : -1)).filter((i) => i >= 0);
      if (nz.length > 1) {
        for (let m = 1; m < (1 << nz.length) - 1; m++) {
          const c = [0, 0, 0];
          nz.forEach((i, b) => {
            if (m & (1 << b)) c[i] = d[i]!;
          });
          witness.push(off(c));
        }
      }
      wStart.push(witness.length);
    }
    w.levelGrid = new Int32Array(pad.N);
    w.forward = Int32Array.from(fwd.map(off));
    w.wStart = Int32Array.from(wStart);
    w.witness = Int32Array.from(witness);
    // a smooth map keeps about 4 edges per voxel; the buffers grow if a map needs more
    w.tmpU = new Int32Array(6 * lat.V + 14);
    w.tmpW = new Int32Array(6 * lat.V + 14);
    w.edges = new Int32Array(0);
    w.lattice = lat;
  }
  if (w.counts.length < K + 2) {
    w.counts = new Int32Array(K + 2);
    w.hist = new Int32Array(4 * (K + 2));
    w.fill = new Int32Array(K + 2);
    w.S = new Float64Array(K + 2);
  }
}

/**
 * Merge the bucketed edges from level K down. Before two roots join at level k each is
 * credited for levels top … k+1 at its size so far (s^E · (S[top] − S[k])); the
 * absorbed root's offset becomes relative to the new root.
 */
function mergeEdges(edges: Int32Array, counts: Int32Array, K: number, w: TfceWork, E: number): void {
  const { parent, size, acc, top, path, S } = w;
  const sqrt = E === 0.5;
  let q = 0;
  for (let k = K; k >= 1; k--) {
    const end = q + 2 * counts[k]!;
    const Sk = S[k]!;
    let lastV = -1;
    let rv = -1; // root of lastV's cluster, kept current across its merges
    for (; q < end; q += 2) {
      const v = edges[q]!;
      const u = edges[q + 1]!;
      if (v !== lastV) {
        lastV = v;
        rv = parent[v]!;
        if (parent[rv] !== rv) rv = find(parent, acc, path, v);
      }
      let ru = parent[u]!;
      if (ru === rv) continue;
      if (parent[ru] !== ru) {
        ru = find(parent, acc, path, u);
        if (ru === rv) continue;
      }
      let ra = rv;
      let rb = ru;
      const sa0 = size[rv]!;
      const sb0 = size[ru]!;
      if (sa0 < sb0) {
        ra = ru;
        rb = rv;
      }
      const sa = size[ra]!;
      const sb = size[rb]!;
      const ta = top[ra]!;
      if (ta > k) {
        acc[ra] += (sqrt ? Math.sqrt(sa) : Math.pow(sa, E)) * (S[ta]! - Sk);
        top[ra] = k;
      }
      const tb = top[rb]!;
      if (tb > k) acc[rb] += (sqrt ? Math.sqrt(sb) : Math.pow(sb, E)) * (S[tb]! - Sk);
      parent[rb] = ra;
      acc[rb] -= acc[ra]!;
      size[ra] = sa + sb;
      rv = ra;
    }
  }
}

/**
 * TFCE of a compact statistic vector into `out` (same length); returns max(out).
 * Voxels with stat < dh get 0. `statMax`, when the caller has it, must be the maximum
 * of stat (NaN entries ignored, −∞ for none) and saves a sweep.
 */
export function tfce(stat: Float64Array, lat: Lattice, params: TfceParams, out: Float64Array, w: TfceWork, statMax?: number): number {
  const V = lat.V;
  let max = 0;
  if (statMax === undefined) {
    for (let v = 0; v < V; v++) if (stat[v]! > max) max = stat[v]!;
  } else if (statMax > 0) max = statMax;
  const dh = max > 0 ? tfceStep(max, params) : 0;
  const K = max > 0 ? tfceLevel(max, dh) : 0;
  if (K < 1) {
    out.fill(0, 0, V);
    return 0;
  }
  prepare(w, lat, K);
  const { index: pIndex, compactOf } = paddedLattice(lat);
  const { parent, size, acc, level, top, path, counts, fill, S, levelGrid, vStart } = w;
  const inv = 1 / dh;
  for (let v = 0; v < V; v++) {
    const s = stat[v]!;
    let k = 0;
    if (s >= dh) {
      // tfceLevel with a multiplication for the first guess: the corrections make it exact
      k = Math.floor(s * inv);
      while (k > 0 && k * dh > s) k--;
      while ((k + 1) * dh <= s) k++;
      if (k > K) k = K;
    }
    level[v] = k;
    levelGrid[pIndex[v]!] = k;
  }
  // every voxel starts as its own cluster, credited from its own level down
  parent.set(w.identity);
  size.fill(1, 0, V);
  acc.fill(0, 0, V);
  top.set(level);
  // kept edges, with the level from which they join their ends: min(level_v, level_u) ≥ 1
  const nE =
    lat.connectivity === 26
      ? keptEdges26(V, level, pIndex, compactOf, levelGrid, lat.dims[0] + 2, (lat.dims[0] + 2) * (lat.dims[1] + 2), w)
      : keptEdgesGeneric(V, level, pIndex, compactOf, levelGrid, w.forward, w.wStart, w.witness, w);
  const { tmpU, tmpW } = w;
  if (w.edges.length < 2 * nE) w.edges = new Int32Array(2 * Math.ceil(1.25 * nE));
  const edges = w.edges;
  // edges per weight, in four interleaved histograms so that runs of equal weights do not wait on one counter
  const hist = w.hist;
  hist.fill(0, 0, 4 * (K + 1));
  let i4 = 0;
  for (; i4 + 4 <= nE; i4 += 4) {
    hist[4 * tmpW[i4]!]++;
    hist[4 * tmpW[i4 + 1]! + 1]++;
    hist[4 * tmpW[i4 + 2]! + 2]++;
    hist[4 * tmpW[i4 + 3]! + 3]++;
  }
  for (; i4 < nE; i4++) hist[4 * tmpW[i4]!]++;
  let pos = 0;
  for (let k = K; k >= 1; k--) {
    counts[k] = hist[4 * k]! + hist[4 * k + 1]! + hist[4 * k + 2]! + hist[4 * k + 3]!;
    fill[k] = pos;
    pos += counts[k]!;
  }
  for (let v = 0; v < V; v++) {
    for (let i = vStart[v]!, ie = vStart[v + 1]!; i < ie; i++) {
      const q = 2 * fill[tmpW[i]!]!++;
      edges[q] = v;
      edges[q + 1] = tmpU[i]!;
    }
  }
  // S[k] = Σ_{j=1..k} (j·dh)^H·dh
  S[0] = 0;
  for (let k = 1; k <= K; k++) S[k] = S[k - 1]! + Math.pow(k * dh, params.H) * dh;
  mergeEdges(edges, counts, K, w, params.E);
  // the final credit of every root down to level 0
  const E = params.E;
  for (let v = 0; v < V; v++) {
    const t = top[v]!;
    if (t > 0 && parent[v] === v) acc[v] += (E === 0.5 ? Math.sqrt(size[v]!) : Math.pow(size[v]!, E)) * S[t]!;
  }
  let outMax = 0;
  for (let v = 0; v < V; v++) {
    if (level[v] === 0) {
      out[v] = 0;
      continue;
    }
    const p = parent[v]!;
    const r = p === v || p === parent[p] ? p : find(parent, acc, path, v); // find first: it rewrites acc[v]
    const val = r === v ? acc[v]! : acc[v]! + acc[r]!;
    out[v] = val;
    if (val > outMax) outMax = val;
  }
  return outMax;
}
