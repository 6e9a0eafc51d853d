/**
 * Null distributions of the PLS fit, computed from one precomputed model so that each resample is
 * cheap and the work is shared across resamples:
 *
 * - Permutation / spin test of PLS1 variance explained. X stays fixed, so K = X0X0ᵀ (n × n) is
 *   formed once and a resampled response y* (re-z-scored) costs O(n²):
 *   VE(y*) = (y*ᵀKy*)² / (‖Ky*‖² ‖y*‖²). p = (1 + #(null ≥ observed)) / (N + 1).
 * - Bootstrap Z of the gene weights (as pyls and Whitaker's PLS_bootstrap): X and y are z-scored
 *   once over all regions; a resample draws regions with replacement (counts c_j), re-centres X
 *   and y (no re-scaling, as SIMPLS / plsregress centre their input) and refits PLS1; its weights
 *   are sign-aligned to the original (flipped when their Pearson correlation is negative) and
 *   Z = w / SD_b (ddof 1). With e = c ∘ (y0 − m_y) the refit is r = X0ᵀe (one n × p product per
 *   resample, batched through the tiled {@link dotRows} kernel) and, because X is fixed,
 *   t = K e − (cᵀK e / n) with K = X0X0ᵀ, so ‖t‖² = Σ_j c_j t_j² costs O(n²).
 *   Sums over resamples are kept per canonical chunk of BOOT_CHUNK resamples (deviations from the
 *   original weights, Σd and Σd²), so the reduction is identical for any batch size that is a
 *   multiple of the chunk.
 * - Per-gene spin test: r_g = corr(x_g, y) for every gene against the same spun maps; the count
 *   of |r_null| ≥ |r_g| per gene comes from X0ᵀ · Y* in batches.
 *
 * Resample k draws from stream(seed, k) of the null's own seed.
 */
import { type Rng, stream } from '../random.ts';
import { dotRows } from './dots.ts';
import { type Pls1Fit, checkShape, pls1, zscore, zscoreColumns } from './pls.ts';

/** Resamples per canonical chunk of the bootstrap sums. */
export const BOOT_CHUNK = 50;
/** Relative tolerance for "null ≥ observed" comparisons (guards against rounding of equal values). */
export const TIE_TOL = 1e-12;

/** Fisher–Yates shuffle of 0 … n−1 from `rng`. */
export function randomPermutation(rng: Rng, n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** n! as a number (Infinity beyond 170). */
export function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** The k-th permutation of 0 … n−1 in lexicographic order (Lehmer code); k < n!. */
export function nthPermutation(k: number, n: number): Int32Array {
  const pool = Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(n);
  let r = k;
  for (let i = 0; i < n; i++) {
    const f = factorial(n - 1 - i);
    const q = Math.floor(r / f);
    r -= q * f;
    out[i] = pool.splice(q, 1)[0]!;
  }
  return out;
}

export interface BootstrapPartial {
  /** First resample index of the chunk. */
  start: number;
  count: number;
  /** Σ_b (w_b,aligned − w) per gene. */
  sumD: Float64Array;
  /** Σ_b (w_b,aligned − w)² per gene. */
  sumD2: Float64Array;
  /** Resamples whose weights were flipped to align with the original. */
  flipped: number;
}

export class PlsNullModel {
  readonly n: number;
  readonly p: number;
  /** z-scored X (n × p, region-major). */
  readonly X0: Float64Array;
  /** z-scored y. */
  readonly y0: Float64Array;
  readonly fit: Pls1Fit;
  /** K = X0X0ᵀ (n × n). */
  readonly K: Float64Array;
  /** corr(x_g, y) for every gene. */
  readonly geneR: Float64Array;
  private X0t: Float64Array | undefined;
  private wMean = 0;
  private wSs = 0;

  constructor(X: ArrayLike<number>, y: ArrayLike<number>, n: number, p: number) {
    checkShape(n, p, X, y);
    this.n = n;
    this.p = p;
    this.y0 = zscore(y);
    this.X0 = zscoreColumns(X, n, p).data;
    this.fit = pls1(this.X0, this.y0, n, p);
    const K = new Float64Array(n * n);
    dotRows(this.X0, n, this.X0, n, p, K);
    this.K = K;
    this.geneR = new Float64Array(p);
    for (let g = 0; g < p; g++) this.geneR[g] = this.fit.r[g]! / (n - 1);
    const w = this.fit.weights;
    for (let g = 0; g < p; g++) this.wMean += w[g]!;
    this.wMean /= p;
    for (let g = 0; g < p; g++) this.wSs += (w[g]! - this.wMean) ** 2;
  }

  /** Gene-major X0ᵀ (p × n), formed on first use. */
  get X0T(): Float64Array {
    if (!this.X0t) {
      const { n, p, X0 } = this;
      const t = new Float64Array(p * n);
      for (let i = 0; i < n; i++) for (let g = 0; g < p; g++) t[g * n + i] = X0[i * p + g]!;
      this.X0t = t;
    }
    return this.X0t;
  }

  /** PLS1 variance explained for y*[i] = y[idx[i]] (re-z-scored; a permutation needs no re-scaling). */
  varianceForResample(idx: ArrayLike<number>): number {
    const { n, K, y0 } = this;
    const ys = new Float64Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      ys[i] = y0[idx[i]!]!;
      m += ys[i]!;
    }
    m /= n;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      ys[i] = ys[i]! - m;
      yy += ys[i]! * ys[i]!;
    }
    if (!(yy > 1e-24)) return Number.NaN; // a constant resample has no PLS fit
    let yky = 0;
    let kk = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += K[row + j]! * ys[j]!;
      yky += ys[i]! * s;
      kk += s * s;
    }
    return (yky * yky) / (kk * yy);
  }

  /** Plain-permutation null for resamples start … start + count − 1 (exhaustive enumeration when `exhaustive`). */
  permutationNull(seed: number, start: number, count: number, exhaustive = false): Float64Array {
    const out = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const perm = exhaustive ? nthPermutation(start + k, this.n) : randomPermutation(stream(seed, start + k), this.n);
      out[k] = this.varianceForResample(perm);
    }
    return out;
  }

  /** Spun null: one value per resampling array in `spins` (count × n). */
  spinNull(spins: Int32Array, count: number): Float64Array {
    const out = new Float64Array(count);
    for (let k = 0; k < count; k++) out[k] = this.varianceForResample(spins.subarray(k * this.n, (k + 1) * this.n));
    return out;
  }

  /** Region counts of bootstrap k: n draws with replacement from stream(seed, k), redrawn while y would be constant. */
  bootstrapCounts(seed: number, k: number): Int32Array {
    const { n, y0 } = this;
    const rng = stream(seed, k);
    const c = new Int32Array(n);
    for (;;) {
      c.fill(0);
      for (let i = 0; i < n; i++) c[rng.int(n)]!++;
      let first = -1;
      let varies = false;
      for (let j = 0; j < n && !varies; j++) if (c[j]! > 0) {
        if (first < 0) first = j;
        else if (y0[j] !== y0[first]) varies = true;
      }
      if (varies) return c;
    }
  }

  /**
   * Bootstrap resamples start … start + count − 1 (start and count multiples of BOOT_CHUNK,
   * except a final short chunk), one partial per canonical chunk. With `keepWeights` the aligned
   * weights of every resample are returned too (count × p; for tests).
   */
  bootstrap(seed: number, start: number, count: number, keepWeights = false): { partials: BootstrapPartial[]; weights?: Float64Array } {
    const { n, p, y0, K } = this;
    const w0 = this.fit.weights;
    const X0t = this.X0T;
    const partials: BootstrapPartial[] = [];
    const kept = keepWeights ? new Float64Array(count * p) : undefined;
    const Bmax = BOOT_CHUNK;
    const E = new Float64Array(Bmax * n);
    const R = new Float64Array(p * Bmax);
    const ke = new Float64Array(n);
    const scale = new Float64Array(Bmax);
    for (let c0 = start; c0 < start + count; c0 += Bmax) {
      const B = Math.min(Bmax, start + count - c0);
      for (let b = 0; b < B; b++) {
        const c = this.bootstrapCounts(seed, c0 + b);
        let m = 0;
        for (let j = 0; j < n; j++) m += c[j]! * y0[j]!;
        m /= n;
        for (let j = 0; j < n; j++) {
          E[b * n + j] = c[j]! * (y0[j]! - m);
        }
        // t = K e − (cᵀKe/n), ‖t‖² = Σ c_j t_j²
        let cke = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          const row = i * n;
          for (let j = 0; j < n; j++) s += K[row + j]! * E[b * n + j]!;
          ke[i] = s;
          cke += c[i]! * s;
        }
        cke /= n;
        let tt = 0;
        for (let i = 0; i < n; i++) if (c[i]! > 0) tt += c[i]! * (ke[i]! - cke) ** 2;
        scale[b] = 1 / Math.sqrt(tt);
      }
      // r = X0ᵀ e for every resample of the chunk: R[g·B + b]
      dotRows(X0t, p, E.subarray(0, B * n), B, n, R);
      const part: BootstrapPartial = { start: c0, count: B, sumD: new Float64Array(p), sumD2: new Float64Array(p), flipped: 0 };
      for (let b = 0; b < B; b++) {
        let mean = 0;
        for (let g = 0; g < p; g++) mean += R[g * B + b]!;
        mean /= p;
        let cross = 0;
        for (let g = 0; g < p; g++) cross += (R[g * B + b]! - mean) * (w0[g]! - this.wMean);
        const sgn = cross < 0 ? -scale[b]! : scale[b]!;
        if (cross < 0) part.flipped++;
        for (let g = 0; g < p; g++) {
          const w = R[g * B + b]! * sgn;
          const d = w - w0[g]!;
          part.sumD[g]! += d;
          part.sumD2[g]! += d * d;
          if (kept) kept[(c0 - start + b) * p + g] = w;
        }
      }
      partials.push(part);
    }
    return kept ? { partials, weights: kept } : { partials };
  }

  /**
   * Per-gene spin counts: for each gene, #(|r_null| ≥ |r_g|(1 − TIE_TOL)) over the spun maps in
   * `spins` (count × n resampling arrays; spun maps re-z-scored).
   */
  geneSpinCounts(spins: Int32Array, count: number): Int32Array {
    const { n, p, y0 } = this;
    const counts = new Int32Array(p);
    const X0t = this.X0T;
    const thr = new Float64Array(p);
    for (let g = 0; g < p; g++) thr[g] = Math.abs(this.geneR[g]!) * (n - 1) * (1 - TIE_TOL);
    const BS = 64;
    const Y = new Float64Array(BS * n);
    const out = new Float64Array(p * BS);
    for (let s0 = 0; s0 < count; s0 += BS) {
      const B = Math.min(BS, count - s0);
      for (let b = 0; b < B; b++) {
        const idx = spins.subarray((s0 + b) * n, (s0 + b + 1) * n);
        let m = 0;
        for (let i = 0; i < n; i++) m += y0[idx[i]!]!;
        m /= n;
        let ss = 0;
        for (let i = 0; i < n; i++) ss += (y0[idx[i]!]! - m) ** 2;
        const s = Math.sqrt(ss / (n - 1));
        for (let i = 0; i < n; i++) Y[b * n + i] = s > 0 ? (y0[idx[i]!]! - m) / s : 0;
      }
      dotRows(X0t, p, Y.subarray(0, B * n), B, n, out);
      for (let g = 0; g < p; g++) {
        const t = thr[g]!;
        let c = 0;
        for (let b = 0; b < B; b++) if (Math.abs(out[g * B + b]!) >= t) c++;
        counts[g]! += c;
      }
    }
    return counts;
  }
}

/** Combine bootstrap partials (any order in, summed in chunk order) into Z = w / SD_b. */
export function bootstrapZ(weights: Float64Array, partials: BootstrapPartial[]): { z: Float64Array; sd: Float64Array; nBoot: number; flipped: number } {
  const p = weights.length;
  const sorted = [...partials].sort((a, b) => a.start - b.start);
  const sumD = new Float64Array(p);
  const sumD2 = new Float64Array(p);
  let N = 0;
  let flipped = 0;
  for (const part of sorted) {
    for (let g = 0; g < p; g++) {
      sumD[g]! += part.sumD[g]!;
      sumD2[g]! += part.sumD2[g]!;
    }
    N += part.count;
    flipped += part.flipped;
  }
  const sd = new Float64Array(p);
  const z = new Float64Array(p);
  for (let g = 0; g < p; g++) {
    const v = (sumD2[g]! - (sumD[g]! * sumD[g]!) / N) / (N - 1);
    sd[g] = Math.sqrt(Math.max(0, v));
    z[g] = sd[g]! > 0 ? weights[g]! / sd[g]! : Number.NaN;
  }
  return { z, sd, nBoot: N, flipped };
}

/** p = (1 + #(null ≥ observed)) / (N + 1); NaN nulls are not counted and reduce N. */
export function upperTailP(observed: number, nulls: ArrayLike<number>): { p: number; n: number; exceed: number } {
  let exceed = 0;
  let n = 0;
  const thr = observed - Math.abs(observed) * TIE_TOL;
  for (let k = 0; k < nulls.length; k++) {
    const v = nulls[k]!;
    if (Number.isNaN(v)) continue;
    n++;
    if (v >= thr) exceed++;
  }
  return { p: (1 + exceed) / (n + 1), n, exceed };
}
