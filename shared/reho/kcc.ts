import { InvalidParameter } from '../errors.ts';

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
 * ReHo of a whole 4-D volume (x fastest, volumes back to back) held in memory: rank the
 * in-mask series, then Kendall's W. Used by tests and the benchmark; the pipeline works per slab.
 */
export function rehoVolume(data: Float32Array | Float64Array, dims: readonly [number, number, number, number], mask: ArrayLike<number>, neighbours: Neighbours): Float32Array {
  const [nx, ny, nz, nt] = dims;
  const nVox = nx * ny * nz;
  if (data.length !== nVox * nt) throw new InvalidParameter(`4-D data has ${data.length} values, expected ${nVox * nt}`);
  const index = new Int32Array(nVox).fill(-1);
  let count = 0;
  for (let v = 0; v < nVox; v++) if (mask[v]) index[v] = count++;
  const series = new Float64Array(count * nt);
  // volume-major to series-major in blocks of grid voxels: reads run along each volume
  const GATHER = 1024;
  for (let v0 = 0; v0 < nVox; v0 += GATHER) {
    const v1 = Math.min(nVox, v0 + GATHER);
    for (let t = 0; t < nt; t++) {
      const o = t * nVox;
      for (let v = v0; v < v1; v++) {
        const c = index[v]!;
        if (c >= 0) series[c * nt + t] = data[o + v]!;
      }
    }
  }
  const ranks = new Float32Array(count * nt);
  rankAll(series, count, nt, ranks);
  const out = new Float32Array(nVox);
  kendallW(ranks, index, nt, { nx, ny, nzLocal: nz, z0Global: 0, nzGlobal: nz }, neighbours, 0, nz, out);
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
