import { InvalidParameter } from '../errors.ts';
import type { IdealBandpass } from './filter.ts';
import type { NuisanceModel } from './nuisance.ts';

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
 *
 * Each series' result depends only on that series (the pairing adds a second, independent
 * transform in the imaginary part), so any batching or slab cut gives the same values up to the
 * cross-talk rounding of the shared transform — see the twin tests.
 */
export class SeriesCleaner {
  readonly T: number;
  readonly N: number;
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
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly ba: Float64Array;
  private readonly bb: Float64Array;
  private readonly zeros: Float64Array;
  private readonly kr: Float64Array;
  private readonly pos: Int32Array;
  private readonly neg: Int32Array;
  private readonly ki: Float64Array;

  constructor(T: number, model: NuisanceModel | undefined, filter: IdealBandpass | undefined) {
    if (model && model.T !== T) throw new InvalidParameter(`nuisance model has ${model.T} volumes, expected ${T}`, 'confounds');
    if (filter && filter.T !== T) throw new InvalidParameter(`band-pass has ${filter.T} volumes, expected ${T}`, 'params.bandpassHz');
    this.T = T;
    this.model = model;
    this.filter = filter;
    const N = filter ? filter.N : 1;
    this.N = N;
    this.re = new Float64Array(Math.max(N, T));
    this.im = new Float64Array(Math.max(N, T));
    this.wr = new Float64Array(Math.max(1, N - 1));
    this.wfi = new Float64Array(Math.max(1, N - 1));
    for (let half = 1, o = 0; half < N; half <<= 1) {
      for (let k = 0; k < half; k++, o++) {
        const a = (Math.PI * k) / half;
        this.wr[o] = Math.cos(a);
        this.wfi[o] = -Math.sin(a);
      }
    }
    this.rev = new Uint32Array(N);
    const bits = Math.round(Math.log2(N));
    for (let i = 0; i < N; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    const bins: number[] = [];
    if (filter) for (let k = 0; k < N; k++) if (filter.keep[k]) bins.push(k);
    this.bins = Int32Array.from(bins);
    const K = bins.length;
    this.kr = new Float64Array(K);
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
    this.pos = Int32Array.from(posL);
    this.neg = Int32Array.from(negL);
    if (bins.some((k) => k > 0 && !bins.includes(N - k))) throw new InvalidParameter('band-pass mask is not symmetric', 'params.bandpassHz');
    this.ki = new Float64Array(K);
    const p = model ? model.p : 0;
    this.ba = new Float64Array(p + 1);
    this.bb = new Float64Array(p + 1);
    this.zeros = new Float64Array(T);
    this.colMean = new Float64Array(p + 1);
    this.g = new Float64Array(T);
    this.fxr = new Float64Array((p + 1) * K);
    this.fxi = new Float64Array((p + 1) * K);
    this.f1r = new Float64Array(K);
    this.f1i = new Float64Array(K);
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
      const spectrum = (col: (t: number) => number, outR: Float64Array, outI: Float64Array, o: number) => {
        this.re.fill(0);
        this.im.fill(0);
        for (let t = 0; t < T; t++) this.re[t] = col(t);
        this.transform(this.re, this.im, false);
        for (let q = 0; q < K; q++) {
          outR[o + q] = this.re[bins[q]!]!;
          outI[o + q] = this.im[bins[q]!]!;
        }
      };
      if (model) {
        for (let j = 0; j < p; j++) spectrum((t) => model.X[t * p + j]!, this.fxr, this.fxi, j * K);
        spectrum((t) => this.g[t]!, this.fxr, this.fxi, p * K);
      }
      spectrum(() => 1, this.f1r, this.f1i, 0);
    }
  }

  /** Radix-2 FFT in place; inverse is unscaled here (the caller scales). */
  private transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const n = this.N;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        let t = re[i]!;
        re[i] = re[j]!;
        re[j] = t;
        t = im[i]!;
        im[i] = im[j]!;
        im[j] = t;
      }
    }
    // size 2: twiddle 1
    for (let a = 0; a < n; a += 2) {
      const xr = re[a + 1]!;
      const xi = im[a + 1]!;
      re[a + 1] = re[a]! - xr;
      im[a + 1] = im[a]! - xi;
      re[a] = re[a]! + xr;
      im[a] = im[a]! + xi;
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
        for (let a = k; a < n; a += size) {
          const b = a + half;
          const br = re[b]!;
          const bi = im[b]!;
          const xr = br * cr - bi * ci;
          const xi = br * ci + bi * cr;
          const ar = re[a]!;
          const ai = im[a]!;
          re[b] = ar - xr;
          im[b] = ai - xi;
          re[a] = ar + xr;
          im[a] = ai + xi;
        }
      }
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
    const { T, model, filter } = this;
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
    // centred series, into the transform buffers (the regression-only path uses them as scratch)
    const { re, im } = this;
    for (let t = 0; t < T; t++) {
      re[t] = a[aOff + t]! - ma;
      im[t] = b[bOff + t]! - mb;
    }
    if (model) {
      const pinv = model.pinv;
      for (let j = 0; j < p; j++) {
        let sa = 0;
        let sb = 0;
        const row = j * T;
        for (let t = 0; t < T; t++) {
          const w = pinv[row + t]!;
          sa += w * re[t]!;
          sb += w * im[t]!;
        }
        ba[j] = sa;
        bb[j] = sb;
      }
      // the centred part carries the fit; ȳ contributes ȳ·g
      ba[p] = -ma;
      bb[p] = -mb;
      const cm = this.colMean;
      let ua = 0;
      let ub = 0;
      for (let t = 0; t < T; t++) {
        ua += re[t]!;
        ub += im[t]!;
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
    re.fill(0, T);
    im.fill(0, T);
    this.transform(re, im, false);
    const { kr, ki, fxr, fxi, f1r, f1i } = this;
    // without a model the transform input is already the mean-free series
    const da = model ? ra : 0;
    const db = model ? rb : 0;
    // subtract, at the kept bins, FFT of the fit and of the residual mean over the T samples.
    // X is real, so its spectrum at N − k is the conjugate of that at k: per positive bin k,
    // A = Σ βa_j·FX_j(k), B = Σ βb_j·FX_j(k) give the pair's correction A + iB at k and
    // conj(A) + i·conj(B) at N − k.
    const P = pos.length;
    for (let q = 0; q < P; q++) {
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
      kr[iq] = re[k]! - (Ar - Bi);
      ki[iq] = im[k]! - (Ai + Br);
      const m = neg[q]!;
      if (m >= 0) {
        const km = bins[m]!;
        kr[m] = re[km]! - (Ar + Bi);
        ki[m] = im[km]! - (Br - Ai);
      }
    }
    re.fill(0);
    im.fill(0);
    for (let q = 0; q < K; q++) {
      re[bins[q]!] = kr[q]!;
      im[bins[q]!] = ki[q]!;
    }
    this.transform(re, im, true);
    const s = 1 / N;
    const addA = filter.addMeanBack ? (model ? ra : ma) : 0;
    const addB = filter.addMeanBack ? (model ? rb : mb) : 0;
    for (let t = 0; t < T; t++) {
      a[aOff + t] = re[t]! * s + addA;
      b[bOff + t] = im[t]! * s + addB;
    }
    // an all-zero series is exactly zero after both steps (no cross-talk from its partner)
    if (!nza) a.fill(0, aOff, aOff + T);
    if (bScratch || !nzb) b.fill(0, bOff, bOff + T);
  }
}
