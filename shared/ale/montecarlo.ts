/**
 * Monte-Carlo FWE null of ALE (the hot loop). Iteration k relocates every focus
 * independently and uniformly to an in-mask voxel, drawing from stream(seed, k) in
 * focus order (experiment by experiment), recomputes ALE, and records the maximum
 * ALE, the largest cluster (voxels, 6-connectivity, ALE > threshold) and the largest
 * cluster mass sum(ALE - threshold).
 *
 * The map is built one z-plane at a time in plane-sized buffers that stay in cache:
 * for each plane, every experiment in order multiplies q = prod_e (1 - MA_e) on the
 * rows its kernel boxes cover (restricted to the rows' in-mask x-extent), then the
 * plane is scanned for the maximum and the supra-threshold voxels and reset. Each
 * voxel receives its factors in experiment order, as in computeAle, so an iteration
 * with the observed foci reproduces the observed map exactly. Clusters are grown
 * from the supra-threshold voxels only, seeded in the order of the first kernel box
 * (experiment, focus) reaching each voxel, so masses are summed in a fixed order.
 */
import { stream } from '../random.ts';
import type { AleGrid } from './ale.ts';
import type { AleKernel } from './kernel.ts';

export interface IterationResult {
  maxAle: number;
  maxSize: number;
  maxMass: number;
}

const TOKEN_LIMIT = 1 << 30;

export class AleMonteCarlo {
  private readonly grid: AleGrid;
  private readonly kernels: AleKernel[];
  private readonly counts: number[];
  private readonly threshold: number;
  /** plane buffers: q = running product, m = MA so far of the current experiment, qb = q before it */
  private readonly q: Float64Array;
  private readonly m: Float64Array;
  private readonly qb: Float64Array;
  private readonly tok: Int32Array;
  private token = 0;
  /** full-grid buffers for the supra-threshold voxels */
  private readonly touched: Int32Array;
  private readonly order: Float64Array;
  private readonly alebuf: Float64Array;
  private readonly supra: Int32Array;
  private readonly queue: Int32Array;
  private readonly ijk: Int32Array[];
  private readonly oneMinus: Float64Array[];
  /** per grid row (y + ny z): first and last in-mask x (lo > hi for an empty row) */
  private readonly rowLo: Int32Array;
  private readonly rowHi: Int32Array;
  /** per focus (focusOffset[e] + f): the overlapping boxes of its experiment (CSR) */
  private readonly focusOffset: Int32Array;
  private readonly pStart: Int32Array;
  private readonly partners: Int32Array;
  private tick = 0;

  /** `counts[e]` foci of experiment e with kernel `kernels[e]`; clusters are ALE > `threshold`. */
  constructor(grid: AleGrid, kernels: AleKernel[], counts: number[], threshold: number) {
    this.grid = grid;
    this.kernels = kernels;
    this.counts = counts;
    this.threshold = threshold;
    const n = grid.mask.length;
    const [nx, ny, nz] = grid.dims;
    const nxy = nx * ny;
    this.q = new Float64Array(nxy).fill(1);
    this.m = new Float64Array(nxy);
    this.qb = new Float64Array(nxy);
    this.tok = new Int32Array(nxy);
    this.touched = new Int32Array(n);
    this.order = new Float64Array(n);
    this.alebuf = new Float64Array(n);
    this.supra = new Int32Array(n);
    this.queue = new Int32Array(n);
    this.ijk = counts.map((c) => new Int32Array(c * 3));
    this.focusOffset = new Int32Array(counts.length + 1);
    let pairs = 0;
    for (let e = 0; e < counts.length; e++) {
      this.focusOffset[e + 1] = this.focusOffset[e]! + counts[e]!;
      pairs += counts[e]! * counts[e]!;
    }
    this.pStart = new Int32Array(this.focusOffset[counts.length]! + 1);
    this.partners = new Int32Array(pairs);
    this.rowLo = new Int32Array(ny * nz).fill(nx);
    this.rowHi = new Int32Array(ny * nz).fill(-1);
    for (let row = 0; row < ny * nz; row++) {
      for (let x = 0; x < nx; x++) {
        if (!grid.mask[row * nx + x]) continue;
        if (this.rowLo[row] === nx) this.rowLo[row] = x;
        this.rowHi[row] = x;
      }
    }
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
    const { mask, dims } = this.grid;
    const nx = dims[0];
    const ny = dims[1];
    const nz = dims[2];
    const nxy = nx * ny;
    const { q, m, qb, tok, touched, supra, alebuf, rowLo, rowHi, pStart, partners } = this;
    const t = ++this.tick;
    const thr = this.threshold;
    const nE = fociIjk.length;
    // z-extent of all boxes: planes outside it keep q = 1
    let zMin = nz;
    let zMax = -1;
    for (let e = 0; e < nE; e++) {
      const a = fociIjk[e]!;
      const r = this.kernels[e]!.radius;
      for (let f = 2; f < a.length; f += 3) {
        if (a[f]! - r < zMin) zMin = a[f]! - r;
        if (a[f]! + r > zMax) zMax = a[f]! + r;
      }
    }
    if (zMin < 0) zMin = 0;
    if (zMax > nz - 1) zMax = nz - 1;
    this.findPartners(fociIjk);
    let maxAle = 0;
    let nSupra = 0;
    for (let z = zMin; z <= zMax; z++) {
      // 1. this plane's q = prod_e (1 - MA_e), experiments in order
      for (let e = 0; e < nE; e++) {
        const a = fociIjk[e]!;
        const ker = this.kernels[e]!;
        const r = ker.radius;
        const nf = a.length / 3;
        let active = false;
        for (let f = 2; f < a.length; f += 3) {
          const dz = z - a[f]!;
          if (dz <= r && dz >= -r) {
            active = true;
            break;
          }
        }
        if (!active) continue;
        const K = ker.values;
        const om = this.oneMinus[e]!;
        const side = ker.side;
        const fo = this.focusOffset[e]!;
        if (this.token >= TOKEN_LIMIT) {
          tok.fill(0);
          this.token = 0;
        }
        const tk = ++this.token;
        for (let f = 0; f < nf; f++) {
          const ck = a[3 * f + 2]!;
          const dz = z - ck;
          if (dz > r || dz < -r) continue;
          const ci = a[3 * f]!;
          const cj = a[3 * f + 1]!;
          const y0 = cj - r > 0 ? cj - r : 0;
          const y1 = cj + r < ny - 1 ? cj + r : ny - 1;
          const kz = (dz + r) * side * side;
          const p0 = pStart[fo + f]!;
          const p1 = pStart[fo + f + 1]!;
          for (let y = y0; y <= y1; y++) {
            const row = z * ny + y;
            const lo = rowLo[row]! > ci - r ? rowLo[row]! : ci - r;
            const hi = rowHi[row]! < ci + r ? rowHi[row]! : ci + r;
            if (lo > hi) continue;
            // x-hull of the other boxes of e on this row: there, MA is a max over foci
            let hl = hi + 1;
            let hh = lo - 1;
            for (let p = p0; p < p1; p++) {
              const g = partners[p]!;
              const gj = a[3 * g + 1]! - y;
              const gk = a[3 * g + 2]! - z;
              if (gj > r || gj < -r || gk > r || gk < -r) continue;
              const gi = a[3 * g]!;
              if (gi - r < hl) hl = gi - r;
              if (gi + r > hh) hh = gi + r;
            }
            if (hl < lo) hl = lo;
            if (hh > hi) hh = hi;
            const kb = kz + (y - cj + r) * side - ci + r;
            const pb = y * nx;
            if (hl > hh) {
              for (let x = lo; x <= hi; x++) q[pb + x]! *= om[kb + x]!;
              continue;
            }
            for (let x = lo; x < hl; x++) q[pb + x]! *= om[kb + x]!;
            for (let x = hl; x <= hh; x++) {
              const v = pb + x;
              const ki = kb + x;
              if (tok[v] !== tk) {
                tok[v] = tk;
                const qv = q[v]!;
                qb[v] = qv;
                m[v] = K[ki]!;
                q[v] = qv * om[ki]!;
              } else if (K[ki]! > m[v]!) {
                m[v] = K[ki]!;
                q[v] = qb[v]! * om[ki]!;
              }
            }
            for (let x = hh + 1; x <= hi; x++) q[pb + x]! *= om[kb + x]!;
          }
        }
      }
      // 2. maximum and supra-threshold voxels of the plane; reset q
      const zo = z * nxy;
      for (let y = 0; y < ny; y++) {
        const row = z * ny + y;
        const lo = rowLo[row]!;
        const hi = rowHi[row]!;
        const pb = y * nx;
        for (let x = lo; x <= hi; x++) {
          const qv = q[pb + x]!;
          if (qv === 1) continue;
          q[pb + x] = 1;
          const v = zo + pb + x;
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
    this.orderByFirstBox(fociIjk, nSupra);
    const { maxSize, maxMass } = this.clusters(nSupra, t);
    return { maxAle, maxSize, maxMass };
  }

  /** For each focus, the foci of its experiment whose boxes overlap its box (focus f of e is focusOffset[e] + f). */
  private findPartners(fociIjk: Int32Array[]): void {
    const { pStart, partners } = this;
    let c = 0;
    for (let e = 0; e < fociIjk.length; e++) {
      const a = fociIjk[e]!;
      const r2 = 2 * this.kernels[e]!.radius;
      const nf = a.length / 3;
      const fo = this.focusOffset[e]!;
      for (let f = 0; f < nf; f++) {
        pStart[fo + f] = c;
        const fi = a[3 * f]!;
        const fj = a[3 * f + 1]!;
        const fk = a[3 * f + 2]!;
        for (let g = 0; g < nf; g++) {
          if (g === f) continue;
          const di = a[3 * g]! - fi;
          const dj = a[3 * g + 1]! - fj;
          const dk = a[3 * g + 2]! - fk;
          if (di <= r2 && di >= -r2 && dj <= r2 && dj >= -r2 && dk <= r2 && dk >= -r2) partners[c++] = g;
        }
      }
      pStart[fo + nf] = c;
    }
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

