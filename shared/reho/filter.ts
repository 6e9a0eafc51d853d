import { InvalidParameter } from '../errors.ts';

/** In-place iterative radix-2 FFT on separate real/imaginary arrays (length a power of two). */
export class Fft {
  readonly n: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;

  constructor(n: number) {
    if (!(Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0)) throw new InvalidParameter(`FFT length must be a power of two, got ${n}`);
    this.n = n;
    this.cos = new Float64Array(n >> 1);
    this.sin = new Float64Array(n >> 1);
    for (let k = 0; k < n >> 1; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.rev = new Uint32Array(n);
    const bits = Math.round(Math.log2(n));
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** Forward (sign −1) or inverse (sign +1, scaled by 1/n) transform, in place. */
  transform(re: Float64Array, im: Float64Array, inverse = false): void {
    const n = this.n;
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
    const sgn = inverse ? 1 : -1;
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = sgn * this.sin[k * step]!;
          const a = start + k;
          const b = a + half;
          const xr = re[b]! * wr - im[b]! * wi;
          const xi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - xr;
          im[b] = im[a]! - xi;
          re[a] = re[a]! + xr;
          im[a] = im[a]! + xi;
        }
      }
    }
    if (inverse) {
      const s = 1 / n;
      for (let i = 0; i < n; i++) {
        re[i] = re[i]! * s;
        im[i] = im[i]! * s;
      }
    }
  }
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * DPABI's ideal band-pass (y_IdealFilter): demean, zero-pad to N = next power of two,
 * FFT, keep 1-based bins ceil(fLo·N·TR + 1) … fix(fHi·N·TR + 1) and their mirrors
 * N − idx + 2, zero the rest, inverse FFT, first T samples, real part, mean added back.
 * As the reference: fLo ≥ Nyquist keeps only the Nyquist bin; fHi = 0 or ≥ Nyquist means no low-pass.
 */
export class IdealBandpass {
  readonly T: number;
  readonly N: number;
  /** 1-based first and last kept bins (before mirroring) */
  readonly loBin: number;
  readonly hiBin: number;
  readonly keep: Uint8Array;
  private readonly fft: Fft;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  readonly addMeanBack: boolean;

  constructor(T: number, trSeconds: number, band: readonly [number, number], addMeanBack = true) {
    if (!(T >= 2)) throw new InvalidParameter(`band-pass needs at least 2 volumes, got ${T}`, 'params.bandpassHz');
    if (!(trSeconds > 0)) throw new InvalidParameter(`TR must be positive, got ${trSeconds}`, 'tr');
    const [fLo, fHi] = band;
    if (!(fLo >= 0 && fHi >= 0) || (fHi > 0 && fHi <= fLo)) {
      throw new InvalidParameter(`band [${fLo}, ${fHi}] Hz must satisfy 0 ≤ low < high (or high = 0 for high-pass only)`, 'params.bandpassHz');
    }
    this.T = T;
    const N = nextPow2(T);
    this.N = N;
    const nyquist = 1 / trSeconds / 2;
    this.loBin = fLo >= nyquist ? N / 2 + 1 : Math.ceil(fLo * N * trSeconds + 1);
    this.hiBin = fHi >= nyquist || fHi === 0 ? N / 2 + 1 : Math.trunc(fHi * N * trSeconds + 1);
    this.keep = new Uint8Array(N);
    for (let b = this.loBin; b <= this.hiBin; b++) {
      this.keep[b - 1] = 1;
      const mirror = N - b + 2; // 1-based
      if (mirror >= 2 && mirror <= N) this.keep[mirror - 1] = 1;
    }
    this.fft = new Fft(N);
    this.re = new Float64Array(N);
    this.im = new Float64Array(N);
    this.addMeanBack = addMeanBack;
  }

  /** Filter x[off .. off+T) into out[outOff .. outOff+T) (out may be x). */
  apply(x: Float64Array, out: Float64Array, off = 0, outOff = 0): void {
    const { T, N, re, im, keep } = this;
    let mean = 0;
    for (let t = 0; t < T; t++) mean += x[off + t]!;
    mean /= T;
    for (let t = 0; t < T; t++) re[t] = x[off + t]! - mean;
    re.fill(0, T);
    im.fill(0);
    this.fft.transform(re, im, false);
    for (let k = 0; k < N; k++) {
      if (!keep[k]) {
        re[k] = 0;
        im[k] = 0;
      }
    }
    this.fft.transform(re, im, true);
    const add = this.addMeanBack ? mean : 0;
    for (let t = 0; t < T; t++) out[outOff + t] = re[t]! + add;
  }
}
