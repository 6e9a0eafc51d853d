/**
 * Spin test for parcellated data (Alexander-Bloch et al. 2018; Váša et al. 2018; as netneurotools
 * `gen_spinsamples`):
 * - rotation k is drawn from stream(seed, k): a 3 × 3 standard-normal matrix, its QR decomposition
 *   with the sign fix Q·diag(sign(diag R)) (Haar-uniform, Mezzadri 2007), then the first column
 *   negated when det Q < 0, so Q is a proper rotation;
 * - left-hemisphere centroids (hemi 0) are rotated by Q, right-hemisphere ones by F·Q·F with
 *   F = diag(−1, 1, 1) (the mirrored rotation), as row vectors: c' = c·Q;
 * - each hemisphere is reassigned separately from the distance matrix D[i, j] = ‖c_i − c'_j‖:
 *   `original` gives region i the value of the nearest rotated region (repeats allowed),
 *   `vasa` assigns greedily, always taking next the region whose nearest free rotated region is
 *   farthest (a true permutation), `hungarian` minimises the total distance (a true permutation);
 * - the resampling array idx gives the spun map y_spun[i] = y[idx[i]];
 * - identity resamplings and duplicates of an earlier spin are rejected and redrawn from the same
 *   stream (up to 500 draws; then the duplicate is kept and counted).
 */
import { NeuroburstError } from '../errors.ts';
import { type Rng, stream } from '../random.ts';

export type SpinMethod = 'original' | 'vasa' | 'hungarian';

/** Spin-test inputs cannot be used (no centroid for a region, fewer than 2 regions in a hemisphere …). */
export class InvalidSpinInput extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidSpinInput', message, input);
  }
}

/** A uniform random rotation (row-major 3 × 3, det +1) from 9 standard normals of `rng`. */
export function randomRotation(rng: Rng): Float64Array {
  const a = new Float64Array(9);
  for (let i = 0; i < 9; i++) a[i] = rng.normal();
  // Gram–Schmidt on the columns: R has a positive diagonal, which is exactly the sign-fixed QR
  const q = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    let v0 = a[c]!, v1 = a[3 + c]!, v2 = a[6 + c]!;
    for (let pc = 0; pc < c; pc++) {
      const d = q[pc]! * a[c]! + q[3 + pc]! * a[3 + c]! + q[6 + pc]! * a[6 + c]!;
      v0 -= d * q[pc]!;
      v1 -= d * q[3 + pc]!;
      v2 -= d * q[6 + pc]!;
    }
    // re-orthogonalise once (twice is enough) for accuracy
    for (let pc = 0; pc < c; pc++) {
      const d = q[pc]! * v0 + q[3 + pc]! * v1 + q[6 + pc]! * v2;
      v0 -= d * q[pc]!;
      v1 -= d * q[3 + pc]!;
      v2 -= d * q[6 + pc]!;
    }
    const nrm = Math.hypot(v0, v1, v2);
    q[c] = v0 / nrm;
    q[3 + c] = v1 / nrm;
    q[6 + c] = v2 / nrm;
  }
  if (det3(q) < 0) for (let r = 0; r < 3; r++) q[r * 3] = -q[r * 3]!;
  return q;
}

export function det3(m: ArrayLike<number>): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!)
  );
}

/** F·Q·F with F = diag(−1, 1, 1): the rotation mirrored across the y–z plane. */
export function mirrorRotation(q: ArrayLike<number>): Float64Array {
  const f = [-1, 1, 1];
  const out = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 3 + c] = f[r]! * q[r * 3 + c]! * f[c]!;
  return out;
}

/** Squared distances D[i·m + j] = ‖a_i − b_j‖². */
function sqDistances(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const d = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const x = a[3 * i]!, y = a[3 * i + 1]!, z = a[3 * i + 2]!;
    for (let j = 0; j < m; j++) {
      const dx = x - b[3 * j]!, dy = y - b[3 * j + 1]!, dz = z - b[3 * j + 2]!;
      d[i * m + j] = dx * dx + dy * dy + dz * dz;
    }
  }
  return d;
}

/** Nearest column of each row (first index on ties). */
export function assignOriginal(d: Float64Array, m: number): Int32Array {
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let best = Infinity;
    let bj = 0;
    for (let j = 0; j < m; j++) if (d[i * m + j]! < best) {
      best = d[i * m + j]!;
      bj = j;
    }
    out[i] = bj;
  }
  return out;
}

/**
 * Váša's greedy assignment: repeatedly take the unassigned row whose nearest free column is the
 * farthest (first row on ties), give it that column (first column on ties). Each row keeps its
 * nearest free column; when a column is taken only the rows that pointed at it rescan, so a spin
 * costs about O(m²) rather than the O(m³) of rescanning the whole matrix every step.
 */
export function assignVasa(d: Float64Array, m: number): Int32Array {
  const taken = new Uint8Array(m);
  const done = new Uint8Array(m);
  const minVal = new Float64Array(m);
  const minCol = new Int32Array(m);
  const scan = (i: number) => {
    let best = Infinity;
    let bj = -1;
    const row = i * m;
    for (let j = 0; j < m; j++) if (!taken[j] && d[row + j]! < best) {
      best = d[row + j]!;
      bj = j;
    }
    if (bj < 0) for (let j = 0; j < m; j++) if (!taken[j]) {
      bj = j; // every free distance is +Infinity/NaN: first free column
      best = d[row + j]!;
      break;
    }
    minVal[i] = best;
    minCol[i] = bj;
  };
  for (let i = 0; i < m; i++) scan(i);
  const out = new Int32Array(m);
  for (let step = 0; step < m; step++) {
    let bestRow = -1;
    let bestVal = -Infinity;
    for (let i = 0; i < m; i++) if (!done[i] && (bestRow < 0 || minVal[i]! > bestVal)) {
      bestVal = minVal[i]!;
      bestRow = i;
    }
    const col = minCol[bestRow]!;
    out[bestRow] = col;
    done[bestRow] = 1;
    taken[col] = 1;
    if (step + 1 < m) for (let i = 0; i < m; i++) if (!done[i] && minCol[i] === col) scan(i);
  }
  return out;
}

/**
 * Minimum-cost assignment (Hungarian method, shortest augmenting paths with potentials; O(m³)).
 * Returns the column of each row.
 */
export function assignHungarian(d: Float64Array, m: number): Int32Array {
  const INF = Infinity;
  const u = new Float64Array(m + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row matched to column j (1-based), 0 = none
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= m; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      const row = (i0 - 1) * m - 1;
      const ui0 = u[i0]!;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = d[row + j]! - ui0 - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Int32Array(m);
  for (let j = 1; j <= m; j++) out[p[j]! - 1] = j - 1;
  return out;
}

export interface SpinGeometry {
  /** Number of regions. */
  n: number;
  /** Region indices of each hemisphere (0 = left, 1 = right), in region order. */
  hemis: [Int32Array, Int32Array];
  /** Centroids per hemisphere, packed xyz. */
  coords: [Float64Array, Float64Array];
}

export function spinGeometry(coords: ArrayLike<number>, hemi: ArrayLike<number>, input = 'centroids'): SpinGeometry {
  const n = hemi.length;
  if (coords.length !== 3 * n) throw new RangeError(`coords hold ${coords.length} values for ${n} regions`);
  const lists: [number[], number[]] = [[], []];
  for (let i = 0; i < n; i++) {
    const h = hemi[i]!;
    if (h !== 0 && h !== 1) throw new InvalidSpinInput(`region ${i + 1}: hemisphere must be 0 (left) or 1 (right)`, input);
    lists[h].push(i);
  }
  if (lists[0].length + lists[1].length < 3) throw new InvalidSpinInput('a spin test needs at least 3 regions with centroids', input);
  const pack = (l: number[]) => {
    const c = new Float64Array(3 * l.length);
    l.forEach((i, k) => {
      for (let d = 0; d < 3; d++) {
        const v = coords[3 * i + d]!;
        if (!Number.isFinite(v)) throw new InvalidSpinInput(`region ${i + 1}: centroid coordinate is not finite`, input);
        c[3 * k + d] = v;
      }
    });
    return c;
  };
  return { n, hemis: [Int32Array.from(lists[0]), Int32Array.from(lists[1])], coords: [pack(lists[0]), pack(lists[1])] };
}

function rotateRows(c: Float64Array, q: Float64Array): Float64Array {
  const m = c.length / 3;
  const out = new Float64Array(c.length);
  for (let i = 0; i < m; i++) {
    const x = c[3 * i]!, y = c[3 * i + 1]!, z = c[3 * i + 2]!;
    out[3 * i] = x * q[0]! + y * q[3]! + z * q[6]!;
    out[3 * i + 1] = x * q[1]! + y * q[4]! + z * q[7]!;
    out[3 * i + 2] = x * q[2]! + y * q[5]! + z * q[8]!;
  }
  return out;
}

/** One spin's resampling array for the rotation `q` (left) and its mirror (right). */
export function spinResample(geom: SpinGeometry, q: Float64Array, method: SpinMethod): Int32Array {
  const out = new Int32Array(geom.n);
  const rots = [q, mirrorRotation(q)];
  for (let h = 0; h < 2; h++) {
    const ids = geom.hemis[h]!;
    const m = ids.length;
    if (m === 0) continue;
    const c = geom.coords[h]!;
    const d = sqDistances(c, rotateRows(c, rots[h]!), m);
    // nearest and Váša depend only on the order of distances; Hungarian minimises the total Euclidean distance
    if (method === 'hungarian') for (let q = 0; q < d.length; q++) d[q] = Math.sqrt(d[q]!);
    const col = method === 'vasa' ? assignVasa(d, m) : method === 'hungarian' ? assignHungarian(d, m) : assignOriginal(d, m);
    for (let i = 0; i < m; i++) out[ids[i]!] = ids[col[i]!]!;
  }
  return out;
}

function isIdentity(idx: Int32Array): boolean {
  for (let i = 0; i < idx.length; i++) if (idx[i] !== i) return false;
  return true;
}

export const MAX_SPIN_DRAWS = 500;

/** Candidate for spin k: the first non-identity resampling drawn from stream(seed, k), and how many draws it took. */
export function spinCandidate(geom: SpinGeometry, method: SpinMethod, seed: number, k: number): { idx: Int32Array; draws: number } {
  const rng = stream(seed, k);
  let idx = spinResample(geom, randomRotation(rng), method);
  let draws = 1;
  while (isIdentity(idx) && draws < MAX_SPIN_DRAWS) {
    idx = spinResample(geom, randomRotation(rng), method);
    draws++;
  }
  return { idx, draws };
}

export interface SpinSet {
  n: number;
  count: number;
  /** count × n resampling arrays, spin k at [k·n, (k + 1)·n). */
  idx: Int32Array;
  /** Spins that remain duplicates (or identity) after MAX_SPIN_DRAWS draws. */
  duplicatesKept: number;
  /** Spins that needed a redraw because of a duplicate. */
  redrawn: number;
}

/**
 * Resolve candidates (spins start … start + count − 1 computed independently, e.g. in batches)
 * into the final set, in order: a candidate equal to an earlier accepted spin is redrawn from its
 * own stream, continuing after the draws its candidate used. The result depends only on
 * (geometry, method, seed, count), not on how the candidates were batched.
 */
export function resolveSpins(geom: SpinGeometry, method: SpinMethod, seed: number, candidates: { idx: Int32Array; draws: number }[]): SpinSet {
  const n = geom.n;
  const count = candidates.length;
  const all = new Int32Array(count * n);
  const seen = new Set<string>();
  let duplicatesKept = 0;
  let redrawn = 0;
  for (let k = 0; k < count; k++) {
    let { idx } = candidates[k]!;
    let key = idx.join(',');
    if (seen.has(key)) {
      redrawn++;
      const rng = stream(seed, k);
      let draws = 0;
      // replay the candidate's draws, then continue
      while (draws < candidates[k]!.draws) {
        randomRotation(rng);
        draws++;
      }
      while ((seen.has(key) || isIdentity(idx)) && draws < MAX_SPIN_DRAWS) {
        idx = spinResample(geom, randomRotation(rng), method);
        key = idx.join(',');
        draws++;
      }
      if (seen.has(key) || isIdentity(idx)) {
        // no new resampling within MAX_SPIN_DRAWS: keep the candidate (a duplicate, not the identity)
        duplicatesKept++;
        idx = candidates[k]!.idx;
        key = idx.join(',');
      }
    } else if (isIdentity(idx)) duplicatesKept++;
    seen.add(key);
    all.set(idx, k * n);
  }
  return { n, count, idx: all, duplicatesKept, redrawn };
}

/** All spins in one call (the candidates computed here in order). */
export function generateSpins(geom: SpinGeometry, method: SpinMethod, seed: number, count: number): SpinSet {
  const cands = [];
  for (let k = 0; k < count; k++) cands.push(spinCandidate(geom, method, seed, k));
  return resolveSpins(geom, method, seed, cands);
}
