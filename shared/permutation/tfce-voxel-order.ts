/**
 * The previous TFCE kernel, kept as the twin of `tfce` (tfce.ts) in tests and the
 * bench: voxels enter a union–find in descending order of level (counting sort) and
 * each looks at its neighbours on the padded grid when it enters. Same definition
 * and conventions as `tfce`; see tfce.ts for the credit-on-size-change scheme.
 */
import { paddedLattice, type Lattice } from './lattice.ts';
import { tfceLevel, tfceStep, type TfceParams } from './tfce.ts';

export interface TfceVoxelOrderWork {
  parent: Int32Array;
  size: Int32Array;
  acc: Float64Array;
  level: Int32Array;
  order: Int32Array;
  counts: Int32Array;
  top: Int32Array;
  path: Int32Array;
  /** level on the padded grid (0 outside the mask), so neighbour look-ups need no index lists */
  levelGrid: Int32Array;
  levelLattice: Lattice | null;
}

export function tfceVoxelOrderWork(V: number): TfceVoxelOrderWork {
  return {
    parent: new Int32Array(V),
    size: new Int32Array(V),
    acc: new Float64Array(V),
    level: new Int32Array(V),
    order: new Int32Array(V),
    counts: new Int32Array(0),
    top: new Int32Array(V),
    path: new Int32Array(V),
    levelGrid: new Int32Array(0),
    levelLattice: null,
  };
}

function find(w: TfceVoxelOrderWork, v: number): number {
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
export function tfceVoxelOrder(stat: Float64Array, lat: Lattice, params: TfceParams, out: Float64Array, w: TfceVoxelOrderWork): number {
  const V = lat.V;
  const { parent, size, acc, level, order } = w;
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
  const pad = paddedLattice(lat);
  if (w.levelLattice !== lat) {
    w.levelGrid = new Int32Array(pad.N);
    w.levelLattice = lat;
  }
  const levelGrid = w.levelGrid;
  const pIndex = pad.index;
  for (let v = 0; v < V; v++) {
    const s = stat[v]!;
    const k = s >= dh ? Math.min(K, tfceLevel(s, dh)) : 0;
    level[v] = k;
    levelGrid[pIndex[v]!] = k;
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
  const { offsets, compactOf } = pad;
  const nOff = offsets.length;
  const E = params.E;
  const { top } = w;
  // S[k] = Σ_{j=1..k} (j·dh)^H·dh
  const S = new Float64Array(K + 1);
  for (let k = 1; k <= K; k++) S[k] = S[k - 1]! + Math.pow(k * dh, params.H) * dh;
  const sizePow = E === 0.5 ? Math.sqrt : E === 1 ? (x: number) => x : (x: number) => Math.pow(x, E);
  // credit root r for levels top[r] … k+1 at its current size
  const flush = (r: number, k: number) => {
    const t = top[r]!;
    if (t > k) {
      acc[r] += sizePow(size[r]!) * (S[t]! - S[k]!);
      top[r] = k;
    }
  };
  for (let k = K; k >= 1; k--) {
    const a = startOf[k]!;
    const b = a + counts[k]!;
    for (let q = a; q < b; q++) {
      const v = order[q]!;
      parent[v] = v;
      size[v] = 1;
      acc[v] = 0;
      top[v] = k;
    }
    for (let q = a; q < b; q++) {
      const v = order[q]!;
      let rv = parent[v] === v ? v : find(w, v); // the root of v's cluster, kept current across merges
      // neighbours in ascending order (as the lattice lists them) through padded-grid offsets
      const pg = pIndex[v]!;
      for (let o = 0; o < nOff; o++) {
        const gu = pg + offsets[o]!;
        if (levelGrid[gu]! < k) continue; // outside the mask or not yet entered
        const u = compactOf[gu]!;
        // find(u) is a no-op when u is a root or a child of one: skip the call then
        const pu = parent[u]!;
        if (pu === rv) continue;
        const ru = parent[pu] === pu ? pu : find(w, u);
        if (ru === rv) continue;
        let ra = rv;
        let rb = ru;
        if (size[ra]! < size[rb]!) {
          ra = ru;
          rb = rv;
        }
        flush(ra, k);
        flush(rb, k);
        parent[rb] = ra;
        acc[rb] -= acc[ra]!;
        size[ra] += size[rb]!;
        rv = ra;
      }
    }
  }
  for (let v = 0; v < V; v++) if (level[v]! > 0 && parent[v] === v) flush(v, 0);
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
