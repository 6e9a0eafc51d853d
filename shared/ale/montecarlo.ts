/**
 * Monte-Carlo FWE null of ALE (the hot loop). Iteration k relocates every focus
 * independently and uniformly to an in-mask voxel, drawing from stream(seed, k) in
 * focus order (experiment by experiment), recomputes ALE, and records the maximum
 * ALE, the largest cluster (voxels, 6-connectivity, ALE > threshold) and the largest
 * cluster mass sum(ALE - threshold).
 *
 * Only the voxels that can matter are computed. The grid is cut into 4×4×4 blocks;
 * each kernel box multiplies a block's bound B by (1 - its largest kernel value in
 * the block), so 1 - B bounds ALE from above on the whole block (the exact product
 * has one factor 1 - MA_e <= those factors per experiment, and rounding is
 * monotone, so the bound holds in floating point too). Blocks whose bound exceeds
 * the threshold are computed exactly, experiment by experiment as in computeAle
 * (q *= 1 - max over e's foci), so an iteration with the observed foci reproduces
 * the observed map; they hold every supra-threshold voxel and hence the maximum.
 * (If no voxel exceeds the threshold, blocks whose bound exceeds the maximum so far
 * are computed too.) Clusters are grown from the supra-threshold voxels only, seeded
 * in the order of the first kernel box (experiment, focus) reaching each voxel, so
 * masses are summed in a fixed order.
 */
import { stream } from '../random.ts';
import type { AleGrid } from './ale.ts';
import type { AleKernel } from './kernel.ts';

export interface IterationResult {
  maxAle: number;
  maxSize: number;
  maxMass: number;
}

/** block edge (voxels) */
const BS = 4;
const BV = BS * BS * BS;

export class AleMonteCarlo {
  private readonly grid: AleGrid;
  private readonly kernels: AleKernel[];
  private readonly counts: number[];
  private readonly threshold: number;
  private readonly ijk: Int32Array[];
  private readonly oneMinus: Float64Array[];
  /** experiment of each box (global focus index, experiments in order) */
  private readonly boxExp: Int32Array;
  private readonly nb: [number, number, number];
  /** per block: bound product, and the iteration that last initialised it */
  private readonly bq: Float64Array;
  private readonly bTok: Int32Array;
  private readonly bList: Int32Array;
  /** (block, box) pairs of the bound pass, in box order */
  private readonly pairBlk: Int32Array;
  private readonly pairBox: Int32Array;
  /** per block: position in the exact-pass CSR (-1 = not exact) */
  private readonly bSlot: Int32Array;
  private readonly slotStart: Int32Array;
  private readonly slotBoxes: Int32Array;
  private readonly qL = new Float64Array(BV);
  private readonly mL = new Float64Array(BV);
  /** full-grid buffers for the supra-threshold voxels */
  private readonly touched: Int32Array;
  private readonly order: Float64Array;
  private readonly alebuf: Float64Array;
  private readonly supra: Int32Array;
  private readonly queue: Int32Array;
  private tick = 0;

  /** `counts[e]` foci of experiment e with kernel `kernels[e]`; clusters are ALE > `threshold`. */
  constructor(grid: AleGrid, kernels: AleKernel[], counts: number[], threshold: number) {
    this.grid = grid;
    this.kernels = kernels;
    this.counts = counts;
    this.threshold = threshold;
    const n = grid.mask.length;
    const [nx, ny, nz] = grid.dims;
    this.nb = [Math.ceil(nx / BS), Math.ceil(ny / BS), Math.ceil(nz / BS)];
    const nBlocks = this.nb[0] * this.nb[1] * this.nb[2];
    this.bq = new Float64Array(nBlocks);
    this.bTok = new Int32Array(nBlocks);
    this.bList = new Int32Array(nBlocks);
    this.bSlot = new Int32Array(nBlocks);
    this.slotStart = new Int32Array(nBlocks + 1);
    const nBoxes = counts.reduce((a, c) => a + c, 0);
    this.boxExp = new Int32Array(nBoxes);
    let maxPairs = 0;
    for (let e = 0, b = 0; e < counts.length; e++) {
      const span = Math.ceil(kernels[e]!.side / BS) + 1;
      maxPairs += counts[e]! * span * span * span;
      for (let f = 0; f < counts[e]!; f++) this.boxExp[b++] = e;
    }
    this.pairBlk = new Int32Array(maxPairs);
    this.pairBox = new Int32Array(maxPairs);
    this.slotBoxes = new Int32Array(maxPairs);
    this.touched = new Int32Array(n);
    this.order = new Float64Array(n);
    this.alebuf = new Float64Array(n);
    this.supra = new Int32Array(n);
    this.queue = new Int32Array(n);
    this.ijk = counts.map((c) => new Int32Array(c * 3));
    const om = new Map<AleKernel, Float64Array>();
    this.oneMinus = kernels.map((k) => {
      let a = om.get(k);
      if (!a) {
        a = k.values.map((x) => 1 - x);
        om.set(k, a);
      }
      return a;
    });
  }

  /** Iterations k0..k1-1 into `out` as [maxAle, maxSize, maxMass] triples; iteration k draws from stream(seed, streamOffset + k). */
  run(seed: number, k0: number, k1: number, out = new Float64Array((k1 - k0) * 3), streamOffset = 0): Float64Array {
    const { maskIndex, dims } = this.grid;
    const nx = dims[0];
    const nxy = dims[0] * dims[1];
    const nMask = maskIndex.length;
    for (let k = k0; k < k1; k++) {
      const rng = stream(seed, streamOffset + k);
      for (let e = 0; e < this.counts.length; e++) {
        const a = this.ijk[e]!;
        for (let f = 0; f < a.length; f += 3) {
          const v = maskIndex[rng.int(nMask)]!;
          const z = (v / nxy) | 0;
          const r = v - z * nxy;
          const y = (r / nx) | 0;
          a[f] = r - y * nx;
          a[f + 1] = y;
          a[f + 2] = z;
        }
      }
      const res = this.iterate(this.ijk);
      const o = (k - k0) * 3;
      out[o] = res.maxAle;
      out[o + 1] = res.maxSize;
      out[o + 2] = res.maxMass;
    }
    return out;
  }

  /** One null map from given foci (i, j, k triples per experiment). */
  iterate(fociIjk: Int32Array[]): IterationResult {
    const t = ++this.tick;
    const nPairs = this.boundPass(fociIjk, t);
    this.nSupra = 0;
    // exact blocks: bound above the threshold (they hold every supra-threshold voxel)
    const thr = this.threshold;
    const { bq, bSlot, bList } = this;
    for (let c = 0; c < this.nListed; c++) {
      const blk = bList[c]!;
      bSlot[blk] = 1 - bq[blk]! > thr ? 1 : -1;
    }
    let maxAle = this.exactPass(fociIjk, nPairs, 0, t);
    if (this.nSupra === 0) {
      // no supra-threshold voxel: the maximum may lie in any other block whose bound
      // exceeds it; the block of largest bound first, then every block still above
      let top = -1;
      for (let c = 0; c < this.nListed; c++) {
        const blk = bList[c]!;
        if (bSlot[blk]! < 0 && (top < 0 || bq[blk]! < bq[top]!)) top = blk;
      }
      for (let c = 0; c < this.nListed; c++) {
        const blk = bList[c]!;
        bSlot[blk] = bSlot[blk]! >= 0 ? -2 : blk === top ? 1 : -1;
      }
      if (top >= 0) maxAle = this.exactPass(fociIjk, nPairs, maxAle, t);
      for (let c = 0; c < this.nListed; c++) {
        const blk = bList[c]!;
        bSlot[blk] = bSlot[blk] === -1 && 1 - bq[blk]! > maxAle ? 1 : -1;
      }
      maxAle = this.exactPass(fociIjk, nPairs, maxAle, t);
    }
    const nSupra = this.nSupra;
    this.orderByFirstBox(fociIjk, nSupra);
    const { maxSize, maxMass } = this.clusters(nSupra, t);
    return { maxAle, maxSize, maxMass };
  }

  private nSupra = 0;

  /**
   * Exact ALE on the blocks marked bSlot >= 0: gathers each block's boxes in box order
   * (CSR over the bound pass's pairs), computes them, and returns the running maximum
   * from `maxAle`; supra-threshold voxels go to `touched` (count in nSupra).
   */
  private exactPass(fociIjk: Int32Array[], nPairs: number, maxAle: number, t: number): number {
    const { bList, bSlot, slotStart, slotBoxes, pairBlk, pairBox } = this;
    let nSlots = 0;
    for (let c = 0; c < this.nListed; c++) {
      const blk = bList[c]!;
      if (bSlot[blk]! >= 0) bSlot[blk] = nSlots++;
    }
    slotStart.fill(0, 0, nSlots + 1);
    for (let p = 0; p < nPairs; p++) {
      const s = bSlot[pairBlk[p]!]!;
      if (s >= 0) slotStart[s + 1]!++;
    }
    for (let s = 0; s < nSlots; s++) slotStart[s + 1]! += slotStart[s]!;
    for (let p = 0; p < nPairs; p++) {
      const s = bSlot[pairBlk[p]!]!;
      if (s >= 0) slotBoxes[slotStart[s]!++] = pairBox[p]!;
    }
    for (let s = nSlots; s > 0; s--) slotStart[s] = slotStart[s - 1]!;
    slotStart[0] = 0;
    let nSupra = this.nSupra;
    for (let c = 0; c < this.nListed; c++) {
      const blk = bList[c]!;
      const s = bSlot[blk]!;
      if (s < 0) continue;
      nSupra = this.exactBlock(fociIjk, blk, slotBoxes, slotStart[s]!, slotStart[s + 1]!, maxAle, nSupra, t);
      maxAle = this.blockMax;
    }
    this.nSupra = nSupra;
    return maxAle;
  }

  private nListed = 0;
  private blockMax = 0;

  /**
   * Bound pass: for every box (experiment, focus order) and block it reaches, B *= 1 - (the
   * box's largest kernel value in the block). Records the (block, box) pairs; returns their count.
   */
  private boundPass(fociIjk: Int32Array[], t: number): number {
    const [nx, ny, nz] = this.grid.dims;
    const [nbx, nby] = this.nb;
    const { bq, bTok, bList, pairBlk, pairBox } = this;
    let nList = 0;
    let nPairs = 0;
    let box = 0;
    const ax = new Int32Array(8);
    const ay = new Int32Array(8);
    const az = new Int32Array(8);
    for (let e = 0; e < fociIjk.length; e++) {
      const a = fociIjk[e]!;
      const ker = this.kernels[e]!;
      const r = ker.radius;
      const side = ker.side;
      const w = ker.w;
      const om = this.oneMinus[e]!;
      for (let f = 0; f < a.length; f += 3, box++) {
        const ci = a[f]!;
        const cj = a[f + 1]!;
        const ck = a[f + 2]!;
        const x0 = ci - r > 0 ? ci - r : 0;
        const x1 = ci + r < nx - 1 ? ci + r : nx - 1;
        const y0 = cj - r > 0 ? cj - r : 0;
        const y1 = cj + r < ny - 1 ? cj + r : ny - 1;
        const z0 = ck - r > 0 ? ck - r : 0;
        const z1 = ck + r < nz - 1 ? ck + r : nz - 1;
        if (x0 > x1 || y0 > y1 || z0 > z1) continue;
        const bx0 = (x0 / BS) | 0;
        const bx1 = (x1 / BS) | 0;
        const by0 = (y0 / BS) | 0;
        const by1 = (y1 / BS) | 0;
        const bz0 = (z0 / BS) | 0;
        const bz1 = (z1 / BS) | 0;
        // per axis and block: kernel offset (index into w) of the largest weight in the block
        for (let b = bx0; b <= bx1; b++) ax[b - bx0] = argmaxW(w, (b * BS > x0 ? b * BS : x0) - ci + r, (b * BS + BS - 1 < x1 ? b * BS + BS - 1 : x1) - ci + r);
        for (let b = by0; b <= by1; b++) ay[b - by0] = argmaxW(w, (b * BS > y0 ? b * BS : y0) - cj + r, (b * BS + BS - 1 < y1 ? b * BS + BS - 1 : y1) - cj + r);
        for (let b = bz0; b <= bz1; b++) az[b - bz0] = argmaxW(w, (b * BS > z0 ? b * BS : z0) - ck + r, (b * BS + BS - 1 < z1 ? b * BS + BS - 1 : z1) - ck + r);
        for (let bz = bz0; bz <= bz1; bz++) {
          const kz = az[bz - bz0]! * side * side;
          for (let by = by0; by <= by1; by++) {
            const kzy = kz + ay[by - by0]! * side;
            const bb = (bz * nby + by) * nbx;
            for (let bx = bx0; bx <= bx1; bx++) {
              const blk = bb + bx;
              if (bTok[blk] !== t) {
                bTok[blk] = t;
                bq[blk] = 1;
                bList[nList++] = blk;
              }
              bq[blk]! *= om[kzy + ax[bx - bx0]!]!;
              pairBlk[nPairs] = blk;
              pairBox[nPairs++] = box;
            }
          }
        }
      }
    }
    this.nListed = nList;
    return nPairs;
  }

  /**
   * Exact ALE on one block from its boxes `list[l0..l1)` (box order): q *= 1 - MA_e per
   * experiment; updates the running maximum (left in blockMax) and appends the supra-
   * threshold voxels to `touched` from nSupra; returns the new count.
   */
  private exactBlock(fociIjk: Int32Array[], blk: number, list: Int32Array, l0: number, l1: number, maxAle: number, nSupra: number, t: number): number {
    const { mask, dims } = this.grid;
    const nx = dims[0];
    const ny = dims[1];
    const nz = dims[2];
    const nxy = nx * ny;
    const [nbx, nby] = this.nb;
    const { qL, mL, boxExp, touched, supra, alebuf } = this;
    const bz = (blk / (nbx * nby)) | 0;
    const br = blk - bz * nbx * nby;
    const by = (br / nbx) | 0;
    const bx = br - by * nbx;
    const X0 = bx * BS;
    const Y0 = by * BS;
    const Z0 = bz * BS;
    const X1 = X0 + BS - 1 < nx - 1 ? X0 + BS - 1 : nx - 1;
    const Y1 = Y0 + BS - 1 < ny - 1 ? Y0 + BS - 1 : ny - 1;
    const Z1 = Z0 + BS - 1 < nz - 1 ? Z0 + BS - 1 : nz - 1;
    qL.fill(1);
    let e = -1;
    for (let l = l0; l <= l1; l++) {
      const box = l < l1 ? list[l]! : -1;
      const be = box >= 0 ? boxExp[box]! : -1;
      if (be !== e) {
        if (e >= 0) {
          for (let i = 0; i < BV; i++) {
            const mv = mL[i]!;
            if (mv !== 0) {
              qL[i]! *= 1 - mv;
              mL[i] = 0;
            }
          }
        }
        e = be;
      }
      if (box < 0) break;
      const ker = this.kernels[e]!;
      const r = ker.radius;
      const side = ker.side;
      const K = ker.values;
      const f = 3 * (box - this.boxOffset(e));
      const a = fociIjk[e]!;
      const ci = a[f]!;
      const cj = a[f + 1]!;
      const ck = a[f + 2]!;
      const xa = ci - r > X0 ? ci - r : X0;
      const xb = ci + r < X1 ? ci + r : X1;
      const ya = cj - r > Y0 ? cj - r : Y0;
      const yb = cj + r < Y1 ? cj + r : Y1;
      const za = ck - r > Z0 ? ck - r : Z0;
      const zb = ck + r < Z1 ? ck + r : Z1;
      for (let z = za; z <= zb; z++) {
        const kz = (z - ck + r) * side * side;
        const lz = (z - Z0) * BS * BS;
        for (let y = ya; y <= yb; y++) {
          const kb = kz + (y - cj + r) * side - ci + r;
          const lb = lz + (y - Y0) * BS - X0;
          for (let x = xa; x <= xb; x++) {
            const kv = K[kb + x]!;
            if (kv > mL[lb + x]!) mL[lb + x] = kv;
          }
        }
      }
    }
    const thr = this.threshold;
    for (let z = Z0; z <= Z1; z++) {
      for (let y = Y0; y <= Y1; y++) {
        const lb = (z - Z0) * BS * BS + (y - Y0) * BS - X0;
        const vb = z * nxy + y * nx;
        for (let x = X0; x <= X1; x++) {
          const qv = qL[lb + x]!;
          if (qv === 1) continue;
          const v = vb + x;
          if (!mask[v]) continue;
          const al = 1 - qv;
          if (al > maxAle) maxAle = al;
          if (al > thr) {
            supra[v] = t;
            alebuf[v] = al;
            touched[nSupra++] = v;
          }
        }
      }
    }
    this.blockMax = maxAle;
    return nSupra;
  }

  private boxOffsets: Int32Array | null = null;
  private boxOffset(e: number): number {
    if (!this.boxOffsets) {
      this.boxOffsets = new Int32Array(this.counts.length + 1);
      for (let i = 0; i < this.counts.length; i++) this.boxOffsets[i + 1] = this.boxOffsets[i]! + this.counts[i]!;
    }
    return this.boxOffsets[e]!;
  }

  /**
   * Sort the first nSupra entries of `touched` by (first kernel box reaching the voxel
   * in experiment-then-focus order, voxel index): the order a box-by-box scan meets them.
   */
  private orderByFirstBox(fociIjk: Int32Array[], nSupra: number): void {
    if (nSupra === 0) return;
    const { touched, order } = this;
    const { dims } = this.grid;
    const nx = dims[0];
    const nxy = dims[0] * dims[1];
    const n = this.grid.mask.length;
    for (let c = 0; c < nSupra; c++) {
      const v = touched[c]!;
      const z = (v / nxy) | 0;
      const rr = v - z * nxy;
      const y = (rr / nx) | 0;
      const x = rr - y * nx;
      let b = 0;
      search: for (let e = 0; e < fociIjk.length; e++) {
        const a = fociIjk[e]!;
        const r = this.kernels[e]!.radius;
        for (let f = 0; f < a.length; f += 3, b++) {
          const dx = x - a[f]!;
          const dy = y - a[f + 1]!;
          const dz = z - a[f + 2]!;
          if (dx <= r && dx >= -r && dy <= r && dy >= -r && dz <= r && dz >= -r) break search;
        }
      }
      order[c] = b * n + v;
    }
    const keys = order.subarray(0, nSupra).sort();
    for (let c = 0; c < nSupra; c++) touched[c] = keys[c]! % n;
  }

  /** Largest cluster size and mass among the first nSupra entries of `touched` (marked supra[v] = t). */
  private clusters(nSupra: number, t: number): { maxSize: number; maxMass: number } {
    const { touched, supra, queue, alebuf } = this;
    const [nx, ny, nz] = this.grid.dims;
    const nxy = nx * ny;
    const thr = this.threshold;
    const seen = -t;
    let maxSize = 0;
    let maxMass = 0;
    for (let c = 0; c < nSupra; c++) {
      const seed = touched[c]!;
      if (supra[seed] !== t) continue;
      supra[seed] = seen;
      let head = 0;
      let tail = 0;
      queue[tail++] = seed;
      let mass = 0;
      while (head < tail) {
        const v = queue[head++]!;
        mass += alebuf[v]! - thr;
        const z = (v / nxy) | 0;
        const r = v - z * nxy;
        const y = (r / nx) | 0;
        const x = r - y * nx;
        if (x > 0 && supra[v - 1] === t) { supra[v - 1] = seen; queue[tail++] = v - 1; }
        if (x < nx - 1 && supra[v + 1] === t) { supra[v + 1] = seen; queue[tail++] = v + 1; }
        if (y > 0 && supra[v - nx] === t) { supra[v - nx] = seen; queue[tail++] = v - nx; }
        if (y < ny - 1 && supra[v + nx] === t) { supra[v + nx] = seen; queue[tail++] = v + nx; }
        if (z > 0 && supra[v - nxy] === t) { supra[v - nxy] = seen; queue[tail++] = v - nxy; }
        if (z < nz - 1 && supra[v + nxy] === t) { supra[v + nxy] = seen; queue[tail++] = v + nxy; }
      }
      if (tail > maxSize) maxSize = tail;
      if (mass > maxMass) maxMass = mass;
    }
    return { maxSize, maxMass };
  }
}


/** Index in [i0, i1] of the largest of w[i0..i1]. */
function argmaxW(w: Float64Array, i0: number, i1: number): number {
  let best = i0;
  for (let i = i0 + 1; i <= i1; i++) if (w[i]! > w[best]!) best = i;
  return best;
}

/**
 * A plain Monte-Carlo iteration (dense maps, full-volume passes) used as the
 * reference in tests and the benchmark; same draws and same arithmetic.
 */
export function naiveIteration(grid: AleGrid, kernels: AleKernel[], counts: number[], threshold: number, seed: number, k: number): IterationResult {
  const { maskIndex, dims, mask } = grid;
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const rng = stream(seed, k);
  const q = new Float64Array(n).fill(1);
  for (let e = 0; e < counts.length; e++) {
    const ker = kernels[e]!;
    const ma = new Float64Array(n);
    for (let f = 0; f < counts[e]!; f++) {
      const v = maskIndex[rng.int(maskIndex.length)]!;
      const ci = v % nx;
      const cj = Math.floor(v / nx) % ny;
      const ck = Math.floor(v / (nx * ny));
      for (let c = -ker.radius; c <= ker.radius; c++) {
        for (let b = -ker.radius; b <= ker.radius; b++) {
          for (let a = -ker.radius; a <= ker.radius; a++) {
            const x = ci + a;
            const y = cj + b;
            const z = ck + c;
            if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
            const val = ker.values[((c + ker.radius) * ker.side + b + ker.radius) * ker.side + a + ker.radius]!;
            const w = x + y * nx + z * nx * ny;
            if (val > ma[w]!) ma[w] = val;
          }
        }
      }
    }
    for (let v = 0; v < n; v++) if (mask[v]) q[v]! *= 1 - ma[v]!;
  }
  const ale = new Float64Array(n);
  let maxAle = 0;
  const bin = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    if (!mask[v]) continue;
    ale[v] = 1 - q[v]!;
    if (ale[v]! > maxAle) maxAle = ale[v]!;
    if (ale[v]! > threshold) bin[v] = 1;
  }
  const label = new Int32Array(n);
  let maxSize = 0;
  let maxMass = 0;
  let next = 0;
  for (let s = 0; s < n; s++) {
    if (!bin[s] || label[s]) continue;
    label[s] = ++next;
    const stack = [s];
    let size = 0;
    let mass = 0;
    while (stack.length) {
      const v = stack.pop()!;
      size++;
      mass += ale[v]! - threshold;
      const x = v % nx;
      const y = Math.floor(v / nx) % ny;
      const z = Math.floor(v / (nx * ny));
      const nb: [number, number, number][] = [[x - 1, y, z], [x + 1, y, z], [x, y - 1, z], [x, y + 1, z], [x, y, z - 1], [x, y, z + 1]];
      for (const [a, b, c] of nb) {
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const w = a + b * nx + c * nx * ny;
        if (bin[w] && !label[w]) {
          label[w] = next;
          stack.push(w);
        }
      }
    }
    if (size > maxSize) maxSize = size;
    if (mass > maxMass) maxMass = mass;
  }
  return { maxAle, maxSize, maxMass };
}

