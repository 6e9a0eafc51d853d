import { InvalidParameter } from '../errors.ts';
import type { IdealBandpass } from './filter.ts';
import type { NuisanceModel } from './nuisance.ts';
import { cleanKernels } from './wasm.ts';
import type { CleanKernels } from './wasm.ts';

/**
 * Nuisance regression followed by the ideal band-pass, two series at a time, with the same
 * result as `regressOut` then `IdealBandpass.apply` up to floating-point rounding (the tested
 * tolerance is 1e-9 of the series' scale; in practice ~1e-12).
 *
 * - Two real series a, b go through one complex FFT as a + i·b. The band-pass mask is real and
 *   symmetric (bin k kept iff bin N − k is), so masking and inverting gives filter(a) + i·filter(b).
 * - The regression is folded into the spectrum: for r = y − Xβ, FFT(r) = FFT(y) − Σ_j β_j FFT(X_j),
 *   and only the kept bins of FFT(X_j) are needed (precomputed once per subject), so the fitted
 *   values are never formed in the time domain. β = (XᵀX)⁻¹Xᵀ(y − ȳ) is computed for both series in
 *   one pass over the pseudo-inverse; ȳ re-enters through g = 1 − X(XᵀX)⁻¹Xᵀ1 (zero when the design
 *   holds the constant, kept general).
 * - Twiddles are laid out per stage, contiguous, so the butterfly loop reads them in order.
 * - The pair is held interleaved, z_t = (a_t, b_t), so one WebAssembly SIMD f64x2 lane carries
 *   each series through the pseudo-inverse products and the butterflies (clean-kernels.wat); the
 *   JavaScript path (`simd: false`, or no WebAssembly SIMD) runs the same IEEE operations in the
 *   same order, so both give bit-identical series (tested).
 *
 * Each series' result depends only on that series (the pairing adds a second, independent
 * transform in the imaginary part), so any batching or slab cut gives the same values up to the
 * cross-talk rounding of the shared transform — see the twin tests.
 */
export class SeriesCleaner {
  readonly T: number;
  readonly N: number;
  /** whether the WebAssembly SIMD kernels run (false: the JavaScript path) */
  readonly simd: boolean;
  private readonly model?: NuisanceModel;
  private readonly filter?: IdealBandpass;
  private readonly wr: Float64Array;
  private readonly wfi: Float64Array;
  private readonly rev: Uint32Array;
  /** kept bin numbers (0-based) */
  private readonly bins: Int32Array;
  /** kept bins of FFT(pad(X_j)), j < p, then of FFT(pad(g)): (p + 1) × K, real and imaginary */
  private readonly fxr: Float64Array;
  private readonly fxi: Float64Array;
  /** kept bins of FFT(pad(1_T)) */
  private readonly f1r: Float64Array;
  private readonly f1i: Float64Array;
  /** column means of X, then mean(g) */
  private readonly colMean: Float64Array;
  private readonly g: Float64Array;
  /** the pair, interleaved: z[2t] = a_t, z[2t + 1] = b_t (in wasm memory on the SIMD path) */
  private readonly z: Float64Array;
  /** pseudo-inverse products, interleaved like z */
  private readonly bz: Float64Array;
  private readonly ba: Float64Array;
  private readonly bb: Float64Array;
  private readonly zeros: Float64Array;
  private readonly kr: Float64Array;
  private readonly pos: Int32Array;
  private readonly neg: Int32Array;
  private readonly ki: Float64Array;
  private readonly wasm: CleanKernels | null = null;
  /** (da, db) and the band correction sums per positive kept bin ((Ar, Br), (Ai, Bi)), in wasm memory */
  private readonly dz: Float64Array;
  private readonly corr: Float64Array;
  /** byte offsets in wasm memory */
  private readonly at = { z: 0, pinv: 0, wr: 0, wfi: 0, rev: 0, bz: 0, ft: 0, f1r: 0, f1i: 0, pos: 0, d: 0, corr: 0 };

  constructor(T: number, model: NuisanceModel | undefined, filter: IdealBandpass | undefined, opts: { simd?: boolean } = {}) {
    if (model && model.T !== T) throw new InvalidParameter(`nuisance model has ${model.T} volumes, expected ${T}`, 'confounds');
    if (filter && filter.T !== T) throw new InvalidParameter(`band-pass has ${filter.T} volumes, expected ${T}`, 'params.bandpassHz');
    this.T = T;
    this.model = model;
    this.filter = filter;
    const N = filter ? filter.N : 1;
    this.N = N;
    const p = model ? model.p : 0;
    const L = Math.max(N, T);
    const bins: number[] = [];
    if (filter) for (let k = 0; k < N; k++) if (filter.keep[k]) bins.push(k);
    const K = bins.length;
    // kept bins 0 < k ≤ N/2 (and 0), each with the position of its mirror N − k among the kept bins (−1: none or itself)
    const posL: number[] = [];
    const negL: number[] = [];
    for (let q = 0; q < K; q++) {
      const k = bins[q]!;
      if (k > N / 2) continue;
      posL.push(q);
      const mirror = k === 0 || k === N / 2 ? -1 : bins.indexOf(N - k);
      negL.push(mirror);
    }
    const P = posL.length;
    // wasm memory layout (16-byte aligned): z, bz, pinv, wr, wfi, rev, ft, f1r, f1i, pos, d, corr
    const al = (b: number) => Math.ceil(b / 16) * 16;
    const at = this.at;
    if (opts.simd !== false && filter) {
      at.z = 0;
      at.bz = al(at.z + 16 * L);
      at.pinv = al(at.bz + 16 * (p + 1));
      at.wr = al(at.pinv + 8 * p * T);
      at.wfi = al(at.wr + 8 * Math.max(1, N - 1));
      at.rev = al(at.wfi + 8 * Math.max(1, N - 1));
      at.ft = al(at.rev + 4 * N);
      at.f1r = al(at.ft + 16 * (p + 1) * P);
      at.f1i = al(at.f1r + 8 * K);
      at.pos = al(at.f1i + 8 * K);
      at.d = al(at.pos + 4 * P);
      at.corr = al(at.d + 16);
      this.wasm = cleanKernels(at.corr + 32 * P);
    }
    this.simd = this.wasm !== null;
    const buf = this.wasm?.memory.buffer;
    this.z = buf ? new Float64Array(buf, this.at.z, 2 * L) : new Float64Array(2 * L);
    this.bz = buf ? new Float64Array(buf, this.at.bz, 2 * (p + 1)) : new Float64Array(2 * (p + 1));
    this.wr = buf ? new Float64Array(buf, this.at.wr, Math.max(1, N - 1)) : new Float64Array(Math.max(1, N - 1));
    this.wfi = buf ? new Float64Array(buf, this.at.wfi, Math.max(1, N - 1)) : new Float64Array(Math.max(1, N - 1));
    this.rev = buf ? new Uint32Array(buf, this.at.rev, N) : new Uint32Array(N);
    if (buf && model) new Float64Array(buf, this.at.pinv, p * T).set(model.pinv);
    for (let half = 1, o = 0; half < N; half <<= 1) {
      for (let k = 0; k < half; k++, o++) {
        const a = (Math.PI * k) / half;
        this.wr[o] = Math.cos(a);
        this.wfi[o] = -Math.sin(a);
      }
    }
    const bits = Math.round(Math.log2(N));
    for (let i = 0; i < N; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.bins = Int32Array.from(bins);
    this.kr = new Float64Array(K);
    this.pos = buf ? new Int32Array(buf, at.pos, P) : new Int32Array(P);
    this.pos.set(posL);
    this.dz = buf ? new Float64Array(buf, at.d, 2) : new Float64Array(2);
    this.corr = buf ? new Float64Array(buf, at.corr, 4 * P) : new Float64Array(4 * P);
    this.neg = Int32Array.from(negL);
    if (bins.some((k) => k > 0 && !bins.includes(N - k))) throw new InvalidParameter('band-pass mask is not symmetric', 'params.bandpassHz');
    this.ki = new Float64Array(K);
    this.ba = new Float64Array(p + 1);
    this.bb = new Float64Array(p + 1);
    this.zeros = new Float64Array(T);
    this.colMean = new Float64Array(p + 1);
    this.g = new Float64Array(T);
    this.fxr = new Float64Array((p + 1) * K);
    this.fxi = new Float64Array((p + 1) * K);
    this.f1r = buf ? new Float64Array(buf, at.f1r, K) : new Float64Array(K);
    this.f1i = buf ? new Float64Array(buf, at.f1i, K) : new Float64Array(K);
    if (model) {
      const { X, pinv } = model;
      // g = 1 − X·pinv·1
      const c1 = new Float64Array(p);
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += pinv[j * T + t]!;
        c1[j] = s;
      }
      for (let t = 0; t < T; t++) {
        let f = 0;
        for (let j = 0; j < p; j++) f += X[t * p + j]! * c1[j]!;
        this.g[t] = 1 - f;
      }
      for (let j = 0; j <= p; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += j < p ? X[t * p + j]! : this.g[t]!;
        this.colMean[j] = s / T;
      }
    }
    if (filter) {
      const z = this.z;
      const spectrum = (col: (t: number) => number, outR: Float64Array, outI: Float64Array, o: number) => {
        z.fill(0);
        for (let t = 0; t < T; t++) z[2 * t] = col(t);
        this.transform(false);
        for (let q = 0; q < K; q++) {
          outR[o + q] = z[2 * bins[q]!]!;
          outI[o + q] = z[2 * bins[q]! + 1]!;
        }
      };
      if (model) {
        for (let j = 0; j < p; j++) spectrum((t) => model.X[t * p + j]!, this.fxr, this.fxi, j * K);
        spectrum((t) => this.g[t]!, this.fxr, this.fxi, p * K);
      }
      spectrum(() => 1, this.f1r, this.f1i, 0);
      if (buf && model) {
        // the SIMD correction reads, per positive kept bin, its (p + 1) spectra contiguously
        const ft = new Float64Array(buf, at.ft, 2 * (p + 1) * P);
        for (let q = 0; q < P; q++) {
          for (let j = 0; j <= p; j++) {
            ft[2 * (q * (p + 1) + j)] = this.fxr[j * K + posL[q]!]!;
            ft[2 * (q * (p + 1) + j) + 1] = this.fxi[j * K + posL[q]!]!;
          }
        }
      }
    }
  }

  /** Radix-2 FFT of z (N interleaved complex values) in place; inverse is unscaled here (the caller scales). */
  private transform(inverse: boolean): void {
    if (this.wasm) {
      const at = this.at;
      this.wasm.fft(at.z, this.N, at.wr, at.wfi, at.rev, inverse ? 1 : 0);
      return;
    }
    const n = this.N;
    const z = this.z;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        let t = z[2 * i]!;
        z[2 * i] = z[2 * j]!;
        z[2 * j] = t;
        t = z[2 * i + 1]!;
        z[2 * i + 1] = z[2 * j + 1]!;
        z[2 * j + 1] = t;
      }
    }
    // size 2: twiddle 1
    for (let a = 0; a < 2 * n; a += 4) {
      const xr = z[a + 2]!;
      const xi = z[a + 3]!;
      z[a + 2] = z[a]! - xr;
      z[a + 3] = z[a + 1]! - xi;
      z[a] = z[a]! + xr;
      z[a + 1] = z[a + 1]! + xi;
    }
    const wr = this.wr;
    const wfi = this.wfi;
    const sgn = inverse ? -1 : 1;
    for (let half = 2; half < n; half <<= 1) {
      const size = half << 1;
      const w0 = half - 1;
      for (let k = 0; k < half; k++) {
        const cr = wr[w0 + k]!;
        const ci = sgn * wfi[w0 + k]!;
        for (let a = 2 * k; a < 2 * n; a += 2 * size) {
          const b = a + 2 * half;
          const br = z[b]!;
          const bi = z[b + 1]!;
          const xr = br * cr - bi * ci;
          const xi = br * ci + bi * cr;
          const ar = z[a]!;
          const ai = z[a + 1]!;
          z[b] = ar - xr;
          z[b + 1] = ai - xi;
          z[a] = ar + xr;
          z[a + 1] = ai + xi;
        }
      }
    }
  }

  /** bz[j] = Σ_t pinv[j·T + t]·z_t (both series), t in order. */
  private pinvProducts(): void {
    const { T, z, bz } = this;
    const p = this.model!.p;
    if (this.wasm) {
      const at = this.at;
      this.wasm.beta(at.z, at.pinv, T, p, at.bz);
      return;
    }
    const pinv = this.model!.pinv;
    // four pseudo-inverse rows at a time: each (a_t, b_t) load feeds eight multiply-adds
    let j = 0;
    for (; j + 4 <= p; j += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      const r0 = j * T;
      const r1 = r0 + T;
      const r2 = r1 + T;
      const r3 = r2 + T;
      for (let t = 0; t < T; t++) {
        const ya = z[2 * t]!;
        const yb = z[2 * t + 1]!;
        const w0 = pinv[r0 + t]!;
        const w1 = pinv[r1 + t]!;
        const w2 = pinv[r2 + t]!;
        const w3 = pinv[r3 + t]!;
        a0 += w0 * ya;
        b0 += w0 * yb;
        a1 += w1 * ya;
        b1 += w1 * yb;
        a2 += w2 * ya;
        b2 += w2 * yb;
        a3 += w3 * ya;
        b3 += w3 * yb;
      }
      bz[2 * j] = a0;
      bz[2 * j + 1] = b0;
      bz[2 * j + 2] = a1;
      bz[2 * j + 3] = b1;
      bz[2 * j + 4] = a2;
      bz[2 * j + 5] = b2;
      bz[2 * j + 6] = a3;
      bz[2 * j + 7] = b3;
    }
    for (; j < p; j++) {
      let sa = 0;
      let sb = 0;
      const row = j * T;
      for (let t = 0; t < T; t++) {
        const w = pinv[row + t]!;
        sa += w * z[2 * t]!;
        sb += w * z[2 * t + 1]!;
      }
      bz[2 * j] = sa;
      bz[2 * j + 1] = sb;
    }
  }

  /** Clean one series in place (a[off .. off+T)). */
  clean(a: Float64Array, off = 0): void {
    this.cleanPair(a, this.zeros, off, 0, true);
  }

  /**
   * Clean two series in place: a[aOff .. aOff+T) and b[bOff .. bOff+T). `bScratch` marks b as
   * a scratch zero series (its output is discarded and it is re-zeroed).
   */
  cleanPair(a: Float64Array, b: Float64Array, aOff = 0, bOff = 0, bScratch = false): void {
    const { T, model, filter, z } = this;
    // regressOut leaves an all-zero series all zero, and so does the filter: track it
    let ma = 0;
    let mb = 0;
    let nza = false;
    let nzb = false;
    for (let t = 0; t < T; t++) {
      const xa = a[aOff + t]!;
      const xb = b[bOff + t]!;
      ma += xa;
      mb += xb;
      nza ||= xa !== 0;
      nzb ||= xb !== 0;
    }
    ma /= T;
    mb /= T;
    const ba = this.ba;
    const bb = this.bb;
    const p = model ? model.p : 0;
    // residual means (what the band-pass removes and, optionally, adds back)
    let ra = 0;
    let rb = 0;
    // centred series, into the transform buffer (the regression-only path uses it as scratch)
    for (let t = 0; t < T; t++) {
      z[2 * t] = a[aOff + t]! - ma;
      z[2 * t + 1] = b[bOff + t]! - mb;
    }
    if (model) {
      this.pinvProducts();
      const bz = this.bz;
      for (let j = 0; j < p; j++) {
        ba[j] = bz[2 * j]!;
        bb[j] = bz[2 * j + 1]!;
      }
      // the centred part carries the fit; ȳ contributes ȳ·g
      ba[p] = -ma;
      bb[p] = -mb;
      const cm = this.colMean;
      let ua = 0;
      let ub = 0;
      for (let t = 0; t < T; t++) {
        ua += z[2 * t]!;
        ub += z[2 * t + 1]!;
      }
      ra = ua / T;
      rb = ub / T;
      for (let j = 0; j <= p; j++) {
        ra -= ba[j]! * cm[j]!;
        rb -= bb[j]! * cm[j]!;
      }
    } else {
      ra = ma;
      rb = mb;
    }
    if (!filter) {
      // regression only: residuals in the time domain
      if (model) {
        const X = model.X;
        for (let t = 0; t < T; t++) {
          let fa = 0;
          let fb = 0;
          const row = t * p;
          for (let j = 0; j < p; j++) {
            fa += X[row + j]! * ba[j]!;
            fb += X[row + j]! * bb[j]!;
          }
          const ga = this.g[t]!;
          a[aOff + t] = a[aOff + t]! - ma - fa - ba[p]! * ga;
          b[bOff + t] = b[bOff + t]! - mb - fb - bb[p]! * ga;
        }
      }
      if (!nza) a.fill(0, aOff, aOff + T);
      if (bScratch || !nzb) b.fill(0, bOff, bOff + T);
      return;
    }
    const { N, bins, pos, neg } = this;
    const K = bins.length;
    z.fill(0, 2 * T, 2 * N);
    this.transform(false);
    const { kr, ki, fxr, fxi, f1r, f1i } = this;
    // without a model the transform input is already the mean-free series
    const da = model ? ra : 0;
    const db = model ? rb : 0;
    // subtract, at the kept bins, FFT of the fit and of the residual mean over the T samples.
    // X is real, so its spectrum at N − k is the conjugate of that at k: per positive bin k,
    // A = Σ βa_j·FX_j(k), B = Σ βb_j·FX_j(k) give the pair's correction A + iB at k and
    // conj(A) + i·conj(B) at N − k.
    const P = pos.length;
    if (this.wasm) {
      // the same sums, both series in one f64x2 lane pair
      const at = this.at;
      this.dz[0] = da;
      this.dz[1] = db;
      if (model) {
        this.bz[2 * p] = ba[p]!;
        this.bz[2 * p + 1] = bb[p]!;
      }
      this.wasm.correct(at.bz, model ? p + 1 : 0, at.ft, at.pos, P, at.d, at.f1r, at.f1i, at.corr);
      const cs = this.corr;
      for (let q = 0; q < P; q++) {
        const iq = pos[q]!;
        const Ar = cs[4 * q]!;
        const Br = cs[4 * q + 1]!;
        const Ai = cs[4 * q + 2]!;
        const Bi = cs[4 * q + 3]!;
        const k = bins[iq]!;
        kr[iq] = z[2 * k]! - (Ar - Bi);
        ki[iq] = z[2 * k + 1]! - (Ai + Br);
        const m = neg[q]!;
        if (m >= 0) {
          const km = bins[m]!;
          kr[m] = z[2 * km]! - (Ar + Bi);
          ki[m] = z[2 * km + 1]! - (Br - Ai);
        }
      }
    }
    for (let q = 0; q < (this.wasm ? 0 : P); q++) {
      const iq = pos[q]!;
      let Ar = da * f1r[iq]!;
      let Ai = da * f1i[iq]!;
      let Br = db * f1r[iq]!;
      let Bi = db * f1i[iq]!;
      if (model) {
        for (let j = 0, o = iq; j <= p; j++, o += K) {
          const xr = fxr[o]!;
          const xi = fxi[o]!;
          const ca = ba[j]!;
          const cb = bb[j]!;
          Ar += ca * xr;
          Ai += ca * xi;
          Br += cb * xr;
          Bi += cb * xi;
        }
      }
      const k = bins[iq]!;
      kr[iq] = z[2 * k]! - (Ar - Bi);
      ki[iq] = z[2 * k + 1]! - (Ai + Br);
      const m = neg[q]!;
      if (m >= 0) {
        const km = bins[m]!;
        kr[m] = z[2 * km]! - (Ar + Bi);
        ki[m] = z[2 * km + 1]! - (Br - Ai);
      }
    }
    z.fill(0, 0, 2 * N);
    for (let q = 0; q < K; q++) {
      z[2 * bins[q]!] = kr[q]!;
      z[2 * bins[q]! + 1] = ki[q]!;
    }
    this.transform(true);
    const s = 1 / N;
    const addA = filter.addMeanBack ? (model ? ra : ma) : 0;
    const addB = filter.addMeanBack ? (model ? rb : mb) : 0;
    for (let t = 0; t < T; t++) {
      a[aOff + t] = z[2 * t]! * s + addA;
      b[bOff + t] = z[2 * t + 1]! * s + addB;
    }
    // an all-zero series is exactly zero after both steps (no cross-talk from its partner)
    if (!nza) a.fill(0, aOff, aOff + T);
    if (bScratch || !nzb) b.fill(0, bOff, bOff + T);
  }
}
