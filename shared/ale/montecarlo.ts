/**
 * Monte-Carlo FWE null of ALE (the hot loop). Iteration k relocates every focus
 * independently and uniformly to an in-mask voxel, drawing from stream(seed, k) in
 * focus order (experiment by experiment), recomputes ALE, and records the maximum
 * ALE, the largest cluster (voxels, 6-connectivity, ALE > threshold) and the largest
 * cluster mass sum(ALE - threshold).
 *
 * Work is proportional to the kernel boxes of the foci: buffers are allocated once,
 * only voxels within kernel reach are touched, and every touched voxel is reset after
 * the iteration. Arithmetic is the same as computeAle (experiments multiplied in
 * order), so an iteration with the observed foci reproduces the observed map exactly.
 */
import { stream } from '../random.ts';
import type { AleGrid } from './ale.ts';
import type { AleKernel } from './kernel.ts';

export interface IterationResult {
  maxAle: number;
  maxSize: number;
  maxMass: number;
}

export class AleMonteCarlo {
  private readonly grid: AleGrid;
  private readonly kernels: AleKernel[];
  private readonly counts: number[];
  private readonly threshold: number;
  private readonly m: Float64Array;
  private readonly q: Float64Array;
  private readonly tok: Int32Array;
  private readonly qb: Float64Array;
  private token = 0;
  private readonly touched: Int32Array;
  private readonly alebuf: Float64Array;
  private readonly supra: Int32Array;
  private readonly queue: Int32Array;
  private readonly ijk: Int32Array[];
  private readonly oneMinus: Float64Array[];
  private tick = 0;

  /** `counts[e]` foci of experiment e with kernel `kernels[e]`; clusters are ALE > `threshold`. */
  constructor(grid: AleGrid, kernels: AleKernel[], counts: number[], threshold: number) {
    this.grid = grid;
    this.kernels = kernels;
    this.counts = counts;
    this.threshold = threshold;
    const n = grid.mask.length;
    this.m = new Float64Array(n);
    this.q = new Float64Array(n).fill(1);
    this.tok = new Int32Array(n);
    this.qb = new Float64Array(n);
    this.touched = new Int32Array(n);
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
    const { mask, dims } = this.grid;
    const [nx, ny, nz] = dims;
    const nxy = nx * ny;
    const { m, q, touched, supra } = this;
    const t = ++this.tick;
    // 1. q(v) = prod_e (1 - MA_e(v)) inside the kernel boxes (q = 1 elsewhere). MA_e is
    // the max over e's foci: the first focus of e to reach v saves q before e (qb) and
    // a later, larger kernel value recomputes q = qb (1 - value): one product per
    // experiment and voxel, as in computeAle, without a separate max pass.
    const { tok, qb } = this;
    for (let e = 0; e < fociIjk.length; e++) {
      const a = fociIjk[e]!;
      const ker = this.kernels[e]!;
      const K = ker.values;
      const om = this.oneMinus[e]!;
      const r = ker.radius;
      const side = ker.side;
      const tk = ++this.token;
      for (let f = 0; f < a.length; f += 3) {
        const ci = a[f]!;
        const cj = a[f + 1]!;
        const ck = a[f + 2]!;
        const x0 = ci - r > 0 ? ci - r : 0;
        const x1 = ci + r < nx - 1 ? ci + r : nx - 1;
        const y0 = cj - r > 0 ? cj - r : 0;
        const y1 = cj + r < ny - 1 ? cj + r : ny - 1;
        const z0 = ck - r > 0 ? ck - r : 0;
        const z1 = ck + r < nz - 1 ? ck + r : nz - 1;
        for (let z = z0; z <= z1; z++) {
          const kz = (z - ck + r) * side * side;
          for (let y = y0; y <= y1; y++) {
            const kb = kz + (y - cj + r) * side - ci + r;
            const vb = z * nxy + y * nx;
            for (let x = x0; x <= x1; x++) {
              const v = vb + x;
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
          }
        }
      }
    }
    // 2. maximum and supra-threshold voxels inside the boxes, resetting q as we go
    const thr = this.threshold;
    const alebuf = this.alebuf;
    let maxAle = 0;
    let nSupra = 0;
    for (let e = 0; e < fociIjk.length; e++) {
      const a = fociIjk[e]!;
      const r = this.kernels[e]!.radius;
      for (let f = 0; f < a.length; f += 3) {
        const ci = a[f]!;
        const cj = a[f + 1]!;
        const ck = a[f + 2]!;
        const x0 = ci - r > 0 ? ci - r : 0;
        const x1 = ci + r < nx - 1 ? ci + r : nx - 1;
        const y0 = cj - r > 0 ? cj - r : 0;
        const y1 = cj + r < ny - 1 ? cj + r : ny - 1;
        const z0 = ck - r > 0 ? ck - r : 0;
        const z1 = ck + r < nz - 1 ? ck + r : nz - 1;
        for (let z = z0; z <= z1; z++) {
          for (let y = y0; y <= y1; y++) {
            const vb = z * nxy + y * nx;
            for (let v = vb + x0; v <= vb + x1; v++) {
              const qv = q[v]!;
              if (qv === 1) continue;
              q[v] = 1;
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
      }
    }
    const { maxSize, maxMass } = this.clusters(nSupra, t);
    return { maxAle, maxSize, maxMass };
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

