import { InvalidParameter } from '../errors.ts';
import { kccKernels } from './wasm.ts';
import type { KccKernels } from './wasm.ts';

/**
 * Regional homogeneity (DPABI y_reho): Kendall's coefficient of concordance of each
 * in-mask voxel's time series with its in-mask neighbours (ALGORITHMS.md §E).
 */

export type Neighbours = 7 | 19 | 27;

/** Offsets (di, dj, dk) of a neighbourhood, centre first. 27 = 3×3×3, 19 = without corners, 7 = centre + faces. */
export function neighbourOffsets(neighbours: Neighbours): [number, number, number][] {
  if (neighbours !== 7 && neighbours !== 19 && neighbours !== 27) throw new InvalidParameter(`neighbours must be 7, 19 or 27, got ${neighbours}`, 'params.neighbours');
  const out: [number, number, number][] = [[0, 0, 0]];
  for (let dk = -1; dk <= 1; dk++)
    for (let dj = -1; dj <= 1; dj++)
      for (let di = -1; di <= 1; di++) {
        const nz = (di !== 0 ? 1 : 0) + (dj !== 0 ? 1 : 0) + (dk !== 0 ? 1 : 0);
        if (nz === 0) continue;
        if (neighbours === 19 && nz === 3) continue;
        if (neighbours === 7 && nz > 1) continue;
        out.push([di, dj, dk]);
      }
  return out;
}

/**
 * Rank one series ascending, ties getting the average rank: rank(v) = #{< v} + (#{= v} + 1)/2.
 * `sorted` is scratch of length ≥ n. Values must be finite.
 *
 * An index sort (insertion sort on runs of 16, then bottom-up merges, all on typed
 * arrays) followed by one pass over the tie groups: a group at sorted positions i..j
 * gets (i + j + 2)/2, which is #{< v} + (#{= v} + 1)/2. `rankSeriesPlain` (a typed sort
 * and two binary searches per value) is the twin it is tested against.
 */
export function rankSeries(x: ArrayLike<number>, off: number, n: number, out: Float32Array | Float64Array, outOff: number, sorted: Float64Array): void {
  if (n >= 32 && rankSeriesBuckets(x, off, n, out, outOff)) return;
  rankSeriesMerge(x, off, n, out, outOff, sorted);
}

let bVals = new Float64Array(0);
let bIdx = new Int32Array(0);
let bOf = new Int32Array(0);
let bStart = new Int32Array(0);
/** largest bucket the insertion pass accepts before the merge sort takes over */
const BUCKET_LIMIT = 48;

/**
 * The bucket sort's second half, shared by both rankers: x[off + t] (t < n) scattered to the
 * bucket `of[t]` (bucket starts `start`, prefix sums; advanced as they fill), then one
 * insertion pass that orders the buckets (values only move within their bucket), so that
 * vals[0..n) ascend and idx holds each value's position t.
 */
function scatterSorted(x: ArrayLike<number>, off: number, n: number, of: Int32Array, start: Int32Array, vals: Float64Array, idx: Int32Array): void {
  for (let t = 0; t < n; t++) {
    const q = start[of[t]!]!++;
    vals[q] = x[off + t]!;
    idx[q] = t;
  }
  for (let i = 1; i < n; i++) {
    const v = vals[i]!;
    if (!(vals[i - 1]! > v)) continue;
    const id = idx[i]!;
    let j = i - 1;
    while (j >= 0 && vals[j]! > v) {
      vals[j + 1] = vals[j]!;
      idx[j + 1] = idx[j]!;
      j--;
    }
    vals[j + 1] = v;
    idx[j + 1] = id;
  }
}

/**
 * Rank by a bucket sort: bucket b = ⌊(v − min)·(B − 1)/(max − min)⌋ is non-decreasing in v even
 * in floating point (subtraction, a positive scale and floor all round monotonically), so equal
 * values share a bucket and bucket order is value order; values are scattered by counting sort and
 * one insertion pass orders each bucket. Returns false (nothing written) when a bucket would be too
 * full for the insertion pass (heavy outliers, a huge range), and the merge sort is used instead.
 */
function rankSeriesBuckets(x: ArrayLike<number>, off: number, n: number, out: Float32Array | Float64Array, outOff: number): boolean {
  const B = n;
  if (bVals.length < n) {
    bVals = new Float64Array(n);
    bIdx = new Int32Array(n);
    bOf = new Int32Array(n);
    bStart = new Int32Array(n + 1);
  }
  const vals = bVals;
  const idx = bIdx;
  const of = bOf;
  const start = bStart;
  let lo = x[off]!;
  let hi = lo;
  for (let t = 1; t < n; t++) {
    const v = x[off + t]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = (B - 1) / (hi - lo);
  if (!(scale > 0 && scale < Infinity)) return false;
  start.fill(0, 0, B + 1);
  for (let t = 0; t < n; t++) {
    let b = Math.floor((x[off + t]! - lo) * scale);
    if (b > B - 1) b = B - 1;
    of[t] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < B; b++) {
    if (start[b + 1]! > BUCKET_LIMIT) return false;
    start[b + 1]! += start[b]!;
  }
  scatterSorted(x, off, n, of, start, vals, idx);
  let i = 0;
  while (i < n) {
    const v = vals[i]!;
    let j = i;
    while (j + 1 < n && vals[j + 1] === v) j++;
    const rank = (i + j + 2) / 2;
    for (let q = i; q <= j; q++) out[outOff + idx[q]!] = rank;
    i = j + 1;
  }
  return true;
}

/** The index merge sort behind rankSeries (used when the buckets are too uneven). */
export function rankSeriesMerge(x: ArrayLike<number>, off: number, n: number, out: Float32Array | Float64Array, outOff: number, sorted: Float64Array): void {
  const s = sorted;
  for (let t = 0; t < n; t++) s[t] = x[off + t]!;
  if (idxA.length < n) {
    idxA = new Int32Array(n);
    idxB = new Int32Array(n);
  }
  let src = idxA;
  let dst = idxB;
  const RUN = 16;
  for (let r0 = 0; r0 < n; r0 += RUN) {
    const r1 = Math.min(n, r0 + RUN);
    for (let i = r0; i < r1; i++) {
      const v = s[i]!;
      let j = i - 1;
      while (j >= r0 && s[src[j]!]! > v) {
        src[j + 1] = src[j]!;
        j--;
      }
      src[j + 1] = i;
    }
  }
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        // stable: take from the left run unless the right value is strictly smaller
        if (s[src[j]!]! < s[src[i]!]!) dst[o++] = src[j++]!;
        else dst[o++] = src[i++]!;
      }
      while (i < mid) dst[o++] = src[i++]!;
      while (j < hi) dst[o++] = src[j++]!;
    }
    const tmp = src;
    src = dst;
    dst = tmp;
  }
  let i = 0;
  while (i < n) {
    const v = s[src[i]!]!;
    let j = i;
    while (j + 1 < n && s[src[j + 1]!] === v) j++;
    const rank = (i + j + 2) / 2;
    for (let q = i; q <= j; q++) out[outOff + src[q]!] = rank;
    i = j + 1;
  }
}

let idxA = new Int32Array(0);
let idxB = new Int32Array(0);

/** rankSeries by a typed sort and two binary searches per value (the plain twin). */
export function rankSeriesPlain(x: ArrayLike<number>, off: number, n: number, out: Float32Array | Float64Array, outOff: number, sorted: Float64Array): void {
  const s = sorted.subarray(0, n);
  for (let t = 0; t < n; t++) s[t] = x[off + t]!;
  s.sort();
  for (let t = 0; t < n; t++) {
    const v = x[off + t]!;
    // lower bound: first index with s[i] >= v
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    // upper bound: first index with s[i] > v
    let up = lo;
    let hi2 = n;
    while (up < hi2) {
      const mid = (up + hi2) >> 1;
      if (s[mid]! <= v) up = mid + 1;
      else hi2 = mid;
    }
    out[outOff + t] = (lo + 1 + up) / 2;
  }
}

/** Rank `count` series stored back to back (series c at c·n) into `out` with the same layout. */
export function rankAll(series: Float64Array | Float32Array, count: number, n: number, out: Float32Array): void {
  const sorted = new Float64Array(n);
  for (let c = 0; c < count; c++) rankSeries(series, c * n, n, out, c * n, sorted);
}

/**
 * Centred doubled ranks: d = 2·rank − (n + 1) with rank as in rankSeries (ties averaged), so
 * d = 2·#{< v} + #{= v} − n, an integer in [−(n − 1), n − 1] (Int16 for n ≤ 32 768). A rank row sum
 * R over k members is (D + k(n + 1))/2 with D the sum of the d's, and R − mean(R) = D/2 exactly.
 *
 * The bucket sort of rankSeries (counting sort by bucket, one insertion pass, a pass over the tie
 * groups), writing d directly: a tie group at sorted positions i..j gets d = i + j + 1 − n. Buckets
 * fuller than a limit (heavy outliers) fall back to the merge sort. `rankSeriesPlain` is the twin (tested: d equals
 * 2·rank − (n + 1) for every value).
 */
export function rankSeriesCentred(x: ArrayLike<number>, off: number, n: number, out: Int16Array, outOff: number): void {
  if (n > 32768) throw new InvalidParameter(`rankSeriesCentred: at most 32768 values, got ${n}`);
  if (cVals.length < n) {
    cVals = new Float64Array(n);
    cIdx = new Int32Array(n);
    cOf = new Int32Array(n);
    cStart = new Int32Array(n + 1);
    cRank = new Float64Array(n);
    cSorted = new Float64Array(n);
  }
  let lo = x[off]!;
  let hi = lo;
  for (let t = 1; t < n; t++) {
    const v = x[off + t]!;
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  if (lo === hi) {
    // one tie group: every d is 2·0 + n − n
    out.fill(0, outOff, outOff + n);
    return;
  }
  const B = n;
  const scale = (B - 1) / (hi - lo);
  if (scale > 0 && scale < Infinity) {
    const start = cStart;
    const of = cOf;
    start.fill(0, 0, B + 1);
    for (let t = 0; t < n; t++) {
      // v − lo ≥ 0, so truncation is the floor
      let b = ((x[off + t]! - lo) * scale) | 0;
      if (b > B - 1) b = B - 1;
      of[t] = b;
      start[b + 1]!++;
    }
    let ok = true;
    for (let b = 0; b < B; b++) {
      const c = start[b + 1]!;
      if (c > BUCKET_LIMIT) ok = false;
      start[b + 1] = c + start[b]!;
    }
    if (ok) {
      const vals = cVals;
      const idx = cIdx;
      scatterSorted(x, off, n, of, start, vals, idx);
      // a tie group at sorted positions i..j: d = 2·i + (j − i + 1) − n
      let i = 0;
      while (i < n) {
        const v = vals[i]!;
        if (i + 1 === n || vals[i + 1] !== v) {
          out[outOff + idx[i]!] = 2 * i + 1 - n;
          i++;
          continue;
        }
        let j = i + 1;
        while (j + 1 < n && vals[j + 1] === v) j++;
        const d = i + j + 1 - n;
        for (let q = i; q <= j; q++) out[outOff + idx[q]!] = d;
        i = j + 1;
      }
      return;
    }
  }
  rankSeriesMerge(x, off, n, cRank, 0, cSorted);
  for (let t = 0; t < n; t++) out[outOff + t] = 2 * cRank[t]! - (n + 1);
}

let cVals = new Float64Array(0);
let cIdx = new Int32Array(0);
let cOf = new Int32Array(0);
let cStart = new Int32Array(0);
let cRank = new Float64Array(0);
let cSorted = new Float64Array(0);

/** Something that cleans in-mask series in place, two at a time (SeriesCleaner). */
export interface PairCleaner {
  cleanPair(a: Float64Array, b: Float64Array, aOff: number, bOff: number): void;
  clean(a: Float64Array, off: number): void;
}

/**
 * Centred doubled rank rows (rankSeriesCentred) of `count` series of length n: row c at
 * d[c·stride ..], stride = n rounded up to a multiple of 8, padding zero (a zero d adds nothing
 * to any sum). Held in WebAssembly memory, with kendallWCentred's scratch rows after them, when
 * the SIMD kernels are available and every 27-member sum fits Int16 (27(n − 1) ≤ 32 767).
 */
export interface RankRows {
  n: number;
  count: number;
  stride: number;
  d: Int16Array;
  /** the grid's x extent the scratch rows were sized for */
  nx: number;
  wasm: KccKernels | null;
  /**
   * byte offsets in wasm memory: the rank rows, 3·nx z-sum rows, nx column rows, one zero row, then
   * rankRegion's gather buffer and the ranking scratch
   */
  at: { d: number; p: number; c: number; zero: number; buf: number; of: number; start: number; vals: number; idx: number };
}

/** Rank rows for `count` series of length n on a grid nx wide (simd: false forces the JavaScript path). */
export function rankRows(count: number, n: number, nx: number, opts: { simd?: boolean } = {}): RankRows {
  if (!(n >= 1 && n <= 32768)) throw new InvalidParameter(`ReHo needs 1 to 32768 volumes, got ${n}`);
  const stride = Math.ceil(n / 8) * 8;
  const rowBytes = 2 * stride;
  const al = (b: number) => Math.ceil(b / 16) * 16;
  const zero = (count + 4 * nx) * rowBytes;
  const buf = al(zero + rowBytes);
  const of = al(buf + 8 * GATHER_ROWS * nx * n);
  const start = al(of + 4 * n);
  const vals = al(start + 4 * (n + 1));
  const idx = al(vals + 8 * n);
  const at = { d: 0, p: count * rowBytes, c: (count + 3 * nx) * rowBytes, zero, buf, of, start, vals, idx };
  const wasm = opts.simd !== false && 27 * (n - 1) <= 32767 ? kccKernels(idx + 4 * n) : null;
  const d = wasm ? new Int16Array(wasm.memory.buffer, 0, count * stride) : new Int16Array(count * stride);
  return { n, count, stride, d, nx, wasm, at };
}

/** Rows of the grid gathered together (reads of ROWS·nx contiguous values per volume). */
const GATHER_ROWS = 4;

/**
 * Centred doubled ranks (rankSeriesCentred) of every in-mask series of a region stored volume-major
 * (voxel v at volume t is data[t·stride + v], t < T), into `rows` (row c for series c = index[v]).
 * The series of a few grid rows are gathered into a small buffer (non-finite values → 0), cleaned
 * there when a cleaner is given, and ranked — the region's series are never held whole.
 *
 * The cleaner pairs series within each grid row (x-row at fixed y, z): the 1st in-mask voxel with
 * the 2nd, the 3rd with the 4th, …, an odd last one alone. Pairing depends on the row only, so any
 * slab cut (slabs are whole planes) cleans every series with the same partner: maps are bit-identical
 * for any slab count. `index` must number in-mask voxels in raster order (x fastest).
 */
export function rankRegion(data: Float32Array | Float64Array, stride: number, T: number, index: Int32Array, nx: number, cleaner: PairCleaner | undefined, rows: RankRows): void {
  const nRows = index.length / nx;
  if (!Number.isInteger(nRows)) throw new InvalidParameter('rankRegion: index is not whole rows');
  if (rows.n !== T) throw new InvalidParameter(`rankRegion: rank rows hold ${rows.n} volumes, expected ${T}`);
  const { d, stride: rs, wasm, at } = rows;
  if (rows.nx < nx) throw new InvalidParameter('rankRegion: rank rows sized for a narrower grid');
  const buf = wasm ? new Float64Array(wasm.memory.buffer, at.buf, GATHER_ROWS * nx * T) : new Float64Array(GATHER_ROWS * nx * T);
  const vs = new Int32Array(GATHER_ROWS * nx);
  for (let r0 = 0; r0 < nRows; r0 += GATHER_ROWS) {
    const r1 = Math.min(nRows, r0 + GATHER_ROWS);
    let m = 0;
    let cFirst = -1;
    for (let v = r0 * nx; v < r1 * nx; v++) {
      const c = index[v]!;
      if (c < 0) continue;
      if (cFirst < 0) cFirst = c;
      if (c !== cFirst + m) throw new InvalidParameter('rankRegion: index is not in raster order');
      vs[m++] = v;
    }
    if (m === 0) continue;
    if (cFirst + m > rows.count) throw new InvalidParameter('rankRegion: more in-mask voxels than rank rows');
    for (let t = 0; t < T; t++) {
      const o = t * stride;
      for (let i = 0, bi = t; i < m; i++, bi += T) {
        const x = data[o + vs[i]!]!;
        buf[bi] = x - x === 0 ? x : 0;
      }
    }
    if (cleaner) {
      let i = 0;
      while (i < m) {
        const row = Math.floor(vs[i]! / nx);
        let j = i;
        while (j + 1 < m && Math.floor(vs[j + 1]! / nx) === row) j++;
        let q = i;
        for (; q + 1 <= j; q += 2) cleaner.cleanPair(buf, buf, q * T, (q + 1) * T);
        if (q === j) cleaner.clean(buf, q * T);
        i = j + 1;
      }
    }
    if (wasm) {
      // the same bucket sort in WebAssembly (same integers); the rare fallback is the merge sort
      for (let i = 0; i < m; i++) {
        const c = cFirst + i;
        if (!wasm.rank(at.buf + 8 * i * T, T, at.d + 2 * c * rs, at.of, at.start, at.vals, at.idx, BUCKET_LIMIT)) rankSeriesCentred(buf, i * T, T, d, c * rs);
      }
    } else {
      for (let i = 0; i < m; i++) rankSeriesCentred(buf, i * T, T, d, (cFirst + i) * rs);
    }
  }
}

/**
 * Kendall's W from centred doubled ranks (rankSeriesCentred): S = Σ_t (R_t − mean R)² = Σ_t D_t²/4
 * with D_t the sum of the members' d, all in exact integer arithmetic, so every map is bit-identical
 * to `kendallWPlain` on the ranks themselves (whose S = Σ R² − n·mean² is also exact: half-integer
 * sums far below 2^53). 27 neighbours: z-sums of rank rows once per (x, y) (a ring of three rows),
 * 3×3 (y, z) column sums once per x, three of those per voxel — as WebAssembly SIMD i16x8 sums when
 * `rows.wasm` is set (same integers); 19 and 7: per-voxel member sums.
 */
export function kendallWCentred(rows: RankRows, index: Int32Array, region: KccRegion, neighbours: Neighbours, zFrom: number, zTo: number, out: Float32Array): void {
  const { nx, ny, nzLocal, z0Global, nzGlobal } = region;
  const { n, d, stride: rs } = rows;
  const plane = nx * ny;
  if (out.length < (zTo - zFrom) * plane) throw new InvalidParameter('kendallW: output too small');
  if (index.length !== plane * nzLocal) throw new InvalidParameter('kendallW: index does not cover the region');
  if (rows.nx < nx) throw new InvalidParameter('kendallW: rank rows sized for a narrower grid');
  const denomBase = n * n * n - n;
  const offs = neighbourOffsets(neighbours).map(([di, dj, dk]) => di + nx * (dj + ny * dk));
  const wasm = neighbours === 27 ? rows.wasm : null;
  const R = new Int32Array(n);
  const P = [new Int32Array(nx * n), new Int32Array(nx * n), new Int32Array(nx * n)];
  const pc = [new Int32Array(nx), new Int32Array(nx), new Int32Array(nx)];
  const C = new Int32Array(nx * n);
  const cc = new Int32Array(nx);
  const rowBytes = 2 * rs;
  const at = rows.at;
  const zSums = (z: number, y: number) => {
    const slot = y % 3;
    const cs = pc[slot]!;
    if (wasm) {
      for (let x = 0; x < nx; x++) {
        const v = x + nx * (y + ny * z);
        const a = index[v - plane]!;
        const b = index[v]!;
        const c = index[v + plane]!;
        const k = (a >= 0 ? 1 : 0) + (b >= 0 ? 1 : 0) + (c >= 0 ? 1 : 0);
        cs[x] = k;
        if (k === 0) continue;
        wasm.add3(at.p + (slot * nx + x) * rowBytes, a >= 0 ? a * rowBytes : at.zero, b >= 0 ? b * rowBytes : at.zero, c >= 0 ? c * rowBytes : at.zero, rs);
      }
      return;
    }
    const Ps = P[slot]!;
    for (let x = 0; x < nx; x++) {
      const pb = x * n;
      const v = x + nx * (y + ny * z);
      const a = index[v - plane]!;
      const b = index[v]!;
      const c = index[v + plane]!;
      let k = 0;
      if (a >= 0 && b >= 0 && c >= 0) {
        const ao = a * rs;
        const bo = b * rs;
        const co = c * rs;
        for (let t = 0; t < n; t++) Ps[pb + t] = d[ao + t]! + d[bo + t]! + d[co + t]!;
        k = 3;
      } else {
        for (const e of [a, b, c]) {
          if (e < 0) continue;
          const eo = e * rs;
          if (k === 0) for (let t = 0; t < n; t++) Ps[pb + t] = d[eo + t]!;
          else for (let t = 0; t < n; t++) Ps[pb + t] += d[eo + t]!;
          k++;
        }
      }
      cs[x] = k;
    }
  };
  for (let z = zFrom; z < zTo; z++) {
    const zg = z + z0Global;
    const o = (z - zFrom) * plane;
    for (let v = 0; v < plane; v++) out[o + v] = 0;
    if (zg === 0 || zg === nzGlobal - 1) continue;
    if (z < 1 || z > nzLocal - 2) throw new InvalidParameter(`kendallW: plane ${z} needs a halo plane on both sides`);
    if (neighbours !== 27) {
      for (let y = 1; y < ny - 1; y++) {
        for (let x = 1; x < nx - 1; x++) {
          const v = x + nx * (y + ny * z);
          if (index[v]! < 0) continue;
          let k = 0;
          R.fill(0);
          for (const q of offs) {
            const c = index[v + q]!;
            if (c < 0) continue;
            const co = c * rs;
            for (let t = 0; t < n; t++) R[t] += d[co + t]!;
            k++;
          }
          let sum2 = 0;
          for (let t = 0; t < n; t++) sum2 += R[t]! * R[t]!;
          out[o + x + nx * y] = (12 * (sum2 / 4)) / (k * k) / denomBase;
        }
      }
      continue;
    }
    zSums(z, 0);
    zSums(z, 1);
    for (let y = 1; y < ny - 1; y++) {
      zSums(z, y + 1);
      const row = nx * (y + ny * z);
      let first = -1;
      let last = -1;
      for (let x = 1; x < nx - 1; x++) {
        if (index[row + x]! >= 0) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first < 0) continue;
      const s0 = (y - 1) % 3;
      const s1 = y % 3;
      const s2 = (y + 1) % 3;
      const c0 = pc[s0]!;
      const c1 = pc[s1]!;
      const c2 = pc[s2]!;
      if (wasm) {
        for (let x = first - 1; x <= last + 1; x++) {
          const m0 = c0[x]!;
          const m1 = c1[x]!;
          const m2 = c2[x]!;
          cc[x] = m0 + m1 + m2;
          wasm.add3(at.c + x * rowBytes, m0 ? at.p + (s0 * nx + x) * rowBytes : at.zero, m1 ? at.p + (s1 * nx + x) * rowBytes : at.zero, m2 ? at.p + (s2 * nx + x) * rowBytes : at.zero, rs);
        }
        for (let x = first; x <= last; x++) {
          if (index[row + x]! < 0) continue;
          const k = cc[x - 1]! + cc[x]! + cc[x + 1]!;
          const a = at.c + (x - 1) * rowBytes;
          const sum2 = wasm.sumsq3(a, a + rowBytes, a + 2 * rowBytes, rs);
          out[o + x + nx * y] = (12 * (sum2 / 4)) / (k * k) / denomBase;
        }
        continue;
      }
      const P0 = P[s0]!;
      const P1 = P[s1]!;
      const P2 = P[s2]!;
      for (let x = first - 1; x <= last + 1; x++) {
        const cb = x * n;
        const m0 = c0[x]!;
        const m1 = c1[x]!;
        const m2 = c2[x]!;
        if (m0 && m1 && m2) {
          for (let t = 0; t < n; t++) C[cb + t] = P0[cb + t]! + P1[cb + t]! + P2[cb + t]!;
        } else {
          for (let t = 0; t < n; t++) C[cb + t] = (m0 ? P0[cb + t]! : 0) + (m1 ? P1[cb + t]! : 0) + (m2 ? P2[cb + t]! : 0);
        }
        cc[x] = m0 + m1 + m2;
      }
      for (let x = first; x <= last; x++) {
        if (index[row + x]! < 0) continue;
        const k = cc[x - 1]! + cc[x]! + cc[x + 1]!;
        const a = (x - 1) * n;
        const b = a + n;
        const c = b + n;
        let sum2 = 0;
        for (let t = 0; t < n; t++) {
          const r = C[a + t]! + C[b + t]! + C[c + t]!;
          sum2 += r * r;
        }
        out[o + x + nx * y] = (12 * (sum2 / 4)) / (k * k) / denomBase;
      }
    }
  }
}

export interface KccRegion {
  nx: number;
  ny: number;
  /** planes held locally (ranks/index cover local planes 0..nzLocal-1) */
  nzLocal: number;
  /** global z of local plane 0 */
  z0Global: number;
  /** global number of planes (for the face rule) */
  nzGlobal: number;
}

/**
 * Kendall's W for local planes zFrom..zTo-1. `index` maps each local voxel (x fastest) to
 * its compact in-mask series number, −1 outside the mask; ranks hold n ranks per series.
 * Voxels on any face of the (global) volume and voxels outside the mask get 0.
 * W = 12·S / (k²(n³ − n)), S = Σ R_t² − n·mean(R)², k = in-mask members (centre included).
 *
 * For the 27-neighbourhood the z-sums of rank rows are formed once per (x, y) (a ring of three rows),
 * the 3×3 (y, z) column sums once per x, and every voxel adds three of them (9 rank-row additions
 * per voxel instead of 27); the sums are exact, so the map is
 * bit-identical to `kendallWPlain`, the per-voxel twin (also used for 19 and 7 neighbours).
 */
export function kendallW(
  ranks: Float32Array,
  index: Int32Array,
  n: number,
  region: KccRegion,
  neighbours: Neighbours,
  zFrom: number,
  zTo: number,
  out: Float32Array,
): void {
  if (neighbours !== 27) {
    kendallWPlain(ranks, index, n, region, neighbours, zFrom, zTo, out);
    return;
  }
  const { nx, ny, nzLocal, z0Global, nzGlobal } = region;
  const plane = nx * ny;
  if (out.length < (zTo - zFrom) * plane) throw new InvalidParameter('kendallW: output too small');
  if (index.length !== plane * nzLocal) throw new InvalidParameter('kendallW: index does not cover the region');
  // P[slot][x·n + t]: ranks summed over z − 1..z + 1 at (x, y) for the rows y − 1, y, y + 1 (ring of
  // three rows, slot y mod 3); C[x·n + t]: the 3×3 (y, z) column sum; pc, cc: their in-mask members
  const P = [new Float64Array(nx * n), new Float64Array(nx * n), new Float64Array(nx * n)];
  const pc = [new Int32Array(nx), new Int32Array(nx), new Int32Array(nx)];
  const C = new Float64Array(nx * n);
  const cc = new Int32Array(nx);
  const denomBase = n * n * n - n;
  const zSums = (z: number, y: number) => {
    const Ps = P[y % 3]!;
    const cs = pc[y % 3]!;
    for (let x = 0; x < nx; x++) {
      const pb = x * n;
      let k = 0;
      for (let dz = -1; dz <= 1; dz++) {
        const c = index[x + nx * (y + ny * (z + dz))]!;
        if (c < 0) continue;
        const base = c * n;
        if (k === 0) for (let t = 0; t < n; t++) Ps[pb + t] = ranks[base + t]!;
        else for (let t = 0; t < n; t++) Ps[pb + t] += ranks[base + t]!;
        k++;
      }
      cs[x] = k;
    }
  };
  for (let z = zFrom; z < zTo; z++) {
    const zg = z + z0Global;
    const o = (z - zFrom) * plane;
    for (let v = 0; v < plane; v++) out[o + v] = 0;
    if (zg === 0 || zg === nzGlobal - 1) continue;
    if (z < 1 || z > nzLocal - 2) throw new InvalidParameter(`kendallW: plane ${z} needs a halo plane on both sides`);
    zSums(z, 0);
    zSums(z, 1);
    for (let y = 1; y < ny - 1; y++) {
      zSums(z, y + 1);
      const row = nx * (y + ny * z);
      let first = -1;
      let last = -1;
      for (let x = 1; x < nx - 1; x++) {
        if (index[row + x]! >= 0) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first < 0) continue;
      for (let x = first - 1; x <= last + 1; x++) {
        const cb = x * n;
        let k = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const slot = (y + dy) % 3;
          const m = pc[slot]![x]!;
          if (m === 0) continue;
          const Ps = P[slot]!;
          if (k === 0) for (let t = 0; t < n; t++) C[cb + t] = Ps[cb + t]!;
          else for (let t = 0; t < n; t++) C[cb + t] += Ps[cb + t]!;
          k += m;
        }
        if (k === 0) for (let t = 0; t < n; t++) C[cb + t] = 0;
        cc[x] = k;
      }
      for (let x = first; x <= last; x++) {
        if (index[row + x]! < 0) continue;
        const k = cc[x - 1]! + cc[x]! + cc[x + 1]!;
        const a = (x - 1) * n;
        // rank sums are half-integers far below 2^53: every order of addition gives the same sums
        let sum = 0;
        let sum2 = 0;
        for (let t = 0; t < n; t++) {
          const r = C[a + t]! + C[a + n + t]! + C[a + 2 * n + t]!;
          sum += r;
          sum2 += r * r;
        }
        const mean = sum / n;
        const S = sum2 - n * mean * mean;
        out[o + x + nx * y] = (12 * S) / (k * k) / denomBase;
      }
    }
  }
}

/** Kendall's W by summing each voxel's member rank rows directly (the plain twin of kendallW). */
export function kendallWPlain(
  ranks: Float32Array,
  index: Int32Array,
  n: number,
  region: KccRegion,
  neighbours: Neighbours,
  zFrom: number,
  zTo: number,
  out: Float32Array,
): void {
  const { nx, ny, nzLocal, z0Global, nzGlobal } = region;
  const plane = nx * ny;
  if (out.length < (zTo - zFrom) * plane) throw new InvalidParameter('kendallW: output too small');
  if (index.length !== plane * nzLocal) throw new InvalidParameter('kendallW: index does not cover the region');
  const offs = neighbourOffsets(neighbours).map(([di, dj, dk]) => di + nx * (dj + ny * dk));
  const m = offs.length;
  const members = new Int32Array(m);
  const R = new Float64Array(n);
  const denomBase = n * n * n - n;
  for (let z = zFrom; z < zTo; z++) {
    const zg = z + z0Global;
    const o = (z - zFrom) * plane;
    for (let v = 0; v < plane; v++) out[o + v] = 0;
    if (zg === 0 || zg === nzGlobal - 1) continue;
    if (z < 1 || z > nzLocal - 2) throw new InvalidParameter(`kendallW: plane ${z} needs a halo plane on both sides`);
    for (let y = 1; y < ny - 1; y++) {
      for (let x = 1; x < nx - 1; x++) {
        const v = x + nx * (y + ny * z);
        if (index[v]! < 0) continue;
        let k = 0;
        for (let q = 0; q < m; q++) {
          const c = index[v + offs[q]!]!;
          if (c >= 0) members[k++] = c * n;
        }
        R.fill(0);
        for (let q = 0; q < k; q++) {
          const base = members[q]!;
          for (let t = 0; t < n; t++) R[t] += ranks[base + t]!;
        }
        let sum = 0;
        let sum2 = 0;
        for (let t = 0; t < n; t++) {
          const r = R[t]!;
          sum += r;
          sum2 += r * r;
        }
        const mean = sum / n;
        const S = sum2 - n * mean * mean;
        out[o + x + nx * y] = (12 * S) / (k * k) / denomBase;
      }
    }
  }
}

/**
 * ReHo of a whole 4-D volume (x fastest, volumes back to back) held in memory: rank the in-mask
 * series (rankRegion, cleaning them first when a cleaner is given, row-paired as the pipeline's
 * slabs do), then Kendall's W (kendallWCentred). Non-finite values count as 0. Used by tests and the
 * benchmark; the pipeline works per slab and gives the same maps.
 */
export function rehoVolume(data: Float32Array | Float64Array, dims: readonly [number, number, number, number], mask: ArrayLike<number>, neighbours: Neighbours, cleaner?: PairCleaner, opts: { simd?: boolean } = {}): Float32Array {
  const [nx, ny, nz, nt] = dims;
  const nVox = nx * ny * nz;
  if (data.length !== nVox * nt) throw new InvalidParameter(`4-D data has ${data.length} values, expected ${nVox * nt}`);
  const index = new Int32Array(nVox).fill(-1);
  let count = 0;
  for (let v = 0; v < nVox; v++) if (mask[v]) index[v] = count++;
  const rows = rankRows(count, nt, nx, opts);
  rankRegion(data, nVox, nt, index, nx, cleaner, rows);
  const out = new Float32Array(nVox);
  kendallWCentred(rows, index, { nx, ny, nzLocal: nz, z0Global: 0, nzGlobal: nz }, neighbours, 0, nz, out);
  return out;
}

export interface MaskStats {
  mean: number;
  sd: number;
  voxels: number;
}

/** Mean and sd (ddof 1) of a map over the mask, face zeros included. */
export function maskStats(map: Float32Array, mask: ArrayLike<number>): MaskStats {
  let n = 0;
  let s = 0;
  for (let v = 0; v < map.length; v++) {
    if (!mask[v]) continue;
    n++;
    s += map[v]!;
  }
  const mean = n > 0 ? s / n : 0;
  let ss = 0;
  for (let v = 0; v < map.length; v++) if (mask[v]) ss += (map[v]! - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, voxels: n };
}

/** mReHo = ReHo / mean over the mask (0 outside the mask). */
export function mReho(map: Float32Array, mask: ArrayLike<number>, stats = maskStats(map, mask)): Float32Array {
  const out = new Float32Array(map.length);
  for (let v = 0; v < map.length; v++) out[v] = mask[v] ? map[v]! / stats.mean : 0;
  return out;
}

/** zReHo = (ReHo − mean)/sd over the mask (ddof 1, 0 outside the mask). */
export function zReho(map: Float32Array, mask: ArrayLike<number>, stats = maskStats(map, mask)): Float32Array {
  const out = new Float32Array(map.length);
  for (let v = 0; v < map.length; v++) out[v] = mask[v] ? (map[v]! - stats.mean) / stats.sd : 0;
  return out;
}
