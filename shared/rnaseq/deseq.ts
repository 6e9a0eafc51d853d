/**
 * Two-group RNA-seq differential expression after DESeq2 (Love, Huber & Anders 2014),
 * design `~ group` (intercept + indicator of the test group):
 *
 * 1. Size factors by median of ratios: s_j = median_i (k_ij / geometric mean_i), over
 *    genes with no zero count.
 * 2. Gene-wise dispersion α_i: maximum of the Cox–Reid adjusted NB log-likelihood
 *    ℓ(α) = Σ_j log NB(k_ij; μ_ij, α) − ½ log det(XᵀWX), W = diag(μ/(1 + αμ)), with
 *    μ_ij = s_j · (group mean of normalised counts), bounded below by 0.5 (DESeq2's
 *    "linear model μ" for group designs). Maximised as DESeq2 does: Armijo line search
 *    on log α from the rough start α₀ = min(moments, residual) estimate; a move that
 *    improves ℓ by less than |ℓ(α₀)|·1e-6 is not taken; a search that stops at once
 *    or runs out of steps is redone on DESeq2's two-level grid.
 * 3. Trend α_tr(μ̄) = a₀ + a₁/μ̄ by a gamma GLM (identity link) iterated over genes whose
 *    ratio to the current fit lies in (1e-4, 15) (DESeq2 `parametricDispersionFit`);
 *    if that fails (a coefficient ≤ 0 or no convergence) the trend is the mean of the
 *    gene-wise estimates (DESeq2 would switch to a local regression; reported as
 *    `trend.type = "mean"`).
 * 4. Empirical-Bayes shrinkage: log α ~ N(log α_tr, σ²) with
 *    σ² = max(mad(log α − log α_tr)² − ψ₁((m − p)/2), 0.25); MAP of ℓ(α) + log prior;
 *    genes more than 2·mad above the trend keep their gene-wise estimate. (For
 *    m − p ≤ 3 DESeq2 matches σ² by simulation; here the same formula is used.)
 * 5. NB GLM by IRLS (DESeq2 `fitBeta`: ridge 1e-6 on the log2 scale, μ ≥ 0.5, deviance
 *    tolerance 1e-8, start from least squares on log(normalised + 0.1)); Wald z = β/SE,
 *    two-sided normal p; log2 fold change = β/ln 2 (maximum likelihood, no shrinkage).
 * 6. BH q over every gene that is not all-zero (no independent filtering and no
 *    Cook's-distance outlier handling, unlike DESeq2's `results()` defaults).
 *
 * DEGs: |log2FC| ≥ lfcThreshold (default 1) and p < pThreshold (default 0.05), the
 * study's rule; q is reported beside.
 */
import { InvalidParameter } from '../errors.ts';
import { bhAdjust } from '../stats/fdr.ts';
import { gammaLn, logBeta, normalTail } from '../stats/distributions.ts';
import { InvalidCounts, InvalidSampleGroups } from './errors.ts';
import { parseCountTable, parseSampleTable } from './table.ts';

export const MIN_DISP = 1e-8;
const MIN_MU = 0.5;
const LN2 = Math.LN2;

/** Median of a finite numeric list (mean of the middle two for even length), NaN when empty. */
export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs as ArrayLike<number>).sort();
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * Median-of-ratios size factors of a genes × samples row-major count matrix
 * (DESeq2 `estimateSizeFactorsForMatrix`; not rescaled). Throws when every gene has a
 * zero somewhere.
 */
export function medianOfRatios(counts: Float64Array, nGenes: number, nSamples: number): Float64Array {
  const logGeo = new Float64Array(nGenes);
  const usable: number[] = [];
  for (let i = 0; i < nGenes; i++) {
    let s = 0;
    let ok = true;
    for (let j = 0; j < nSamples; j++) {
      const k = counts[i * nSamples + j]!;
      if (k <= 0) {
        ok = false;
        break;
      }
      s += Math.log(k);
    }
    if (ok) {
      logGeo[i] = s / nSamples;
      usable.push(i);
    }
  }
  if (usable.length === 0) {
    throw new InvalidCounts('every gene has a zero count in at least one sample: median-of-ratios size factors are undefined', 'counts');
  }
  const sf = new Float64Array(nSamples);
  const r = new Float64Array(usable.length);
  for (let j = 0; j < nSamples; j++) {
    for (let u = 0; u < usable.length; u++) {
      const i = usable[u]!;
      r[u] = Math.log(counts[i * nSamples + j]!) - logGeo[i]!;
    }
    sf[j] = Math.exp(median(r));
  }
  return sf;
}

/** ψ₁(x), the trigamma function, for x > 0 (recurrence to x ≥ 12, then the asymptotic series). */
export function trigamma(x: number): number {
  let acc = 0;
  while (x < 12) {
    acc += 1 / (x * x);
    x += 1;
  }
  const r = 1 / x;
  const r2 = r * r;
  return acc + r + r2 / 2 + r * r2 * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 * (1 / 30 - (r2 * 5) / 66))));
}

const LGAMMA_INT_MAX = 1 << 16;
let lgammaIntTable: Float64Array | undefined;
/** log Γ(k) for integer k ≥ 1 (tabulated up to 65536 from gammaLn). */
function lgammaInt(k: number): number {
  if (k > LGAMMA_INT_MAX) return gammaLn(k);
  if (!lgammaIntTable) {
    lgammaIntTable = new Float64Array(LGAMMA_INT_MAX + 1);
    for (let i = 1; i <= LGAMMA_INT_MAX; i++) lgammaIntTable[i] = gammaLn(i);
  }
  return lgammaIntTable[k]!;
}

/** log Γ(k + r) − log Γ(r) for integer k ≥ 0, r > 0, without cancellation for large r. */
export function logGammaRatio(k: number, r: number): number {
  if (k === 0) return 0;
  if (k < 10) {
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.log(r + i);
    return s;
  }
  // Γ(k + r)/Γ(r) = Γ(k)/B(k, r); logBeta avoids the cancellation for k ≥ 10
  return lgammaInt(k) - logBeta(k, r);
}

/** Mean absolute deviation around the median, scaled by 1.4826 (R `mad`). */
export function mad(xs: number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

/**
 * Cox–Reid adjusted NB log-likelihood (up to terms free of α) of one gene for the
 * two-group design, plus an optional normal prior on log α: DESeq2's `log_posterior`.
 */
export function dispersionLogPosterior(
  logAlpha: number,
  k: ArrayLike<number>,
  mu: ArrayLike<number>,
  group: ArrayLike<number>,
  prior?: { mean: number; variance: number },
): number {
  const a = Math.exp(logAlpha);
  const r = 1 / a;
  let ll = 0;
  let wA = 0;
  let wB = 0;
  for (let j = 0; j < k.length; j++) {
    const y = k[j]!;
    const m = mu[j]!;
    ll += logGammaRatio(y, r) - y * Math.log(m + r) - r * Math.log1p(m * a);
    const w = m / (1 + a * m);
    if (group[j] === 1) wB += w;
    else wA += w;
  }
  // det(XᵀWX) for X = [1, indicator]: (wA + wB)·wB − wB² = wA·wB
  let lp = ll - 0.5 * Math.log(wA * wB);
  if (prior) lp -= ((logAlpha - prior.mean) ** 2) / (2 * prior.variance);
  return lp;
}

/** ψ(x), the digamma function, for x > 0 (recurrence to x ≥ 12, then the asymptotic series). */
export function digamma(x: number): number {
  let acc = 0;
  while (x < 12) {
    acc -= 1 / x;
    x += 1;
  }
  const r2 = 1 / (x * x);
  return acc + Math.log(x) - 0.5 / x - r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 / 132))));
}

/** ψ(k + r) − ψ(r) for integer k ≥ 0 (a finite sum for small k). */
function digammaRatio(k: number, r: number): number {
  if (k === 0) return 0;
  if (k <= 32) {
    let s = 0;
    for (let i = 0; i < k; i++) s += 1 / (r + i);
    return s;
  }
  return digamma(k + r) - digamma(r);
}

/** d/d(log α) of `dispersionLogPosterior` (DESeq2 `dlog_posterior`). */
export function dispersionLogPosteriorSlope(
  logAlpha: number,
  k: ArrayLike<number>,
  mu: ArrayLike<number>,
  group: ArrayLike<number>,
  prior?: { mean: number; variance: number },
): number {
  const a = Math.exp(logAlpha);
  const r = 1 / a;
  let ll = 0;
  let wA = 0;
  let wB = 0;
  let dA = 0;
  let dB = 0;
  for (let j = 0; j < k.length; j++) {
    const y = k[j]!;
    const m = mu[j]!;
    ll += Math.log1p(m * a) - (m * a) / (1 + m * a) - digammaRatio(y, r) + y / (m + r);
    const w = 1 / (1 / m + a);
    if (group[j] === 1) {
      wB += w;
      dB -= w * w;
    } else {
      wA += w;
      dA -= w * w;
    }
  }
  ll *= r * r;
  const cr = -0.5 * (dA / wA + dB / wB);
  return (ll + cr) * a + (prior ? -(logAlpha - prior.mean) / prior.variance : 0);
}

/**
 * DESeq2's dispersion line search (`fitDisp`): gradient ascent on log α from `a0` with
 * the Armijo rule (ε = 1e-4), step κ ≤ κ₀ = 1 grown ×1.1 after an accepted step and
 * halved every 5 accepted steps or on rejection, proposals kept within [−30, 10]; stops
 * when an accepted step raises the objective by less than `tol` (1e-6), when log α falls
 * below `minLogAlpha`, or after `maxit` (100) proposals.
 */
export function dispersionLineSearch(
  f: (x: number) => number,
  df: (x: number) => number,
  a0: number,
  minLogAlpha: number,
  tol = 1e-6,
  maxit = 100,
): { logAlpha: number; iter: number; initialLp: number; lastLp: number } {
  let a = a0;
  let lp = f(a);
  let dlp = df(a);
  const initialLp = lp;
  let kappa = 1;
  let iter = 0;
  let accepted = 0;
  for (let t = 0; t < maxit; t++) {
    iter++;
    const prop = a + kappa * dlp;
    if (prop < -30) kappa = (-30 - a) / dlp;
    if (prop > 10) kappa = (10 - a) / dlp;
    const theta = -f(a + kappa * dlp);
    const thetaHat = -lp - kappa * 1e-4 * dlp * dlp;
    if (theta <= thetaHat) {
      accepted++;
      a = a + kappa * dlp;
      const lpNew = -theta; // f at the accepted point, already evaluated
      const change = lpNew - lp;
      if (change < tol) {
        lp = lpNew;
        break;
      }
      if (a < minLogAlpha) break;
      lp = lpNew;
      dlp = df(a);
      kappa = Math.min(kappa * 1.1, 1);
      if (accepted % 5 === 0) kappa /= 2;
    } else kappa /= 2;
  }
  return { logAlpha: a, iter, initialLp, lastLp: lp };
}

/** DESeq2's fallback (`fitDispGrid`): best of 20 log α from log(1e-8) to `maxLogAlpha`, then of 20 around it. */
export function dispersionGrid(f: (x: number) => number, maxLogAlpha: number): number {
  const n = 20;
  const lo = Math.log(1e-8);
  const delta = (maxLogAlpha - lo) / (n - 1);
  let best = lo;
  let bestF = -Infinity;
  for (let t = 0; t < n; t++) {
    const x = lo + t * delta;
    const v = f(x);
    if (v > bestF) {
      bestF = v;
      best = x;
    }
  }
  const c = best;
  bestF = -Infinity;
  for (let t = 0; t < n; t++) {
    const x = c - delta + (2 * delta * t) / (n - 1);
    const v = f(x);
    if (v > bestF) {
      bestF = v;
      best = x;
    }
  }
  return best;
}

export interface DispersionTrend {
  type: 'parametric' | 'mean';
  /** α_tr(μ̄) = asymptDisp + extraPois/μ̄ (extraPois = 0 for "mean") */
  asymptDisp: number;
  extraPois: number;
}

/**
 * DESeq2's parametric trend: gamma-family GLM with identity link of dispersions on
 * 1/mean, refitted on the genes with residual ratio in (1e-4, 15). Returns null when
 * the fit fails (a coefficient ≤ 0 or more than 10 refits).
 */
export function parametricDispersionFit(means: ArrayLike<number>, disps: ArrayLike<number>): DispersionTrend | null {
  let c0 = 0.1;
  let c1 = 1;
  for (let outer = 0; outer <= 10; outer++) {
    const idx: number[] = [];
    for (let i = 0; i < means.length; i++) {
      const res = disps[i]! / (c0 + c1 / means[i]!);
      if (res > 1e-4 && res < 15) idx.push(i);
    }
    if (idx.length < 2) return null;
    const fit = gammaIdentityGlm(
      idx.map((i) => 1 / means[i]!),
      idx.map((i) => disps[i]!),
      c0,
      c1,
    );
    if (!fit) return null;
    const [n0, n1] = fit;
    if (!(n0 > 0 && n1 > 0)) return null;
    const change = Math.log(n0 / c0) ** 2 + Math.log(n1 / c1) ** 2;
    c0 = n0;
    c1 = n1;
    if (change < 1e-6) return { type: 'parametric', asymptDisp: c0, extraPois: c1 };
  }
  return null;
}

/** IRLS for y ~ b0 + b1·x, Gamma family, identity link (R glm.fit: weights 1/μ², deviance tolerance 1e-8, 25 iterations). */
function gammaIdentityGlm(x: number[], y: number[], s0: number, s1: number): [number, number] | null {
  let b0 = s0;
  let b1 = s1;
  const dev = (p0: number, p1: number): number => {
    let d = 0;
    for (let i = 0; i < x.length; i++) {
      const m = p0 + p1 * x[i]!;
      if (!(m > 0)) return NaN;
      d += 2 * (-Math.log(y[i]! / m) + (y[i]! - m) / m);
    }
    return d;
  };
  let devOld = dev(b0, b1);
  if (!Number.isFinite(devOld)) return null;
  for (let it = 0; it < 25; it++) {
    let sw = 0;
    let swx = 0;
    let swxx = 0;
    let swy = 0;
    let swxy = 0;
    for (let i = 0; i < x.length; i++) {
      const m = b0 + b1 * x[i]!;
      const w = 1 / (m * m);
      sw += w;
      swx += w * x[i]!;
      swxx += w * x[i]! * x[i]!;
      swy += w * y[i]!;
      swxy += w * x[i]! * y[i]!;
    }
    const det = sw * swxx - swx * swx;
    if (!(Math.abs(det) > 0)) return null;
    let n0 = (swxx * swy - swx * swxy) / det;
    let n1 = (sw * swxy - swx * swy) / det;
    let d = dev(n0, n1);
    // step halving when the new coefficients give a non-positive mean (as glm.fit)
    for (let h = 0; h < 30 && !Number.isFinite(d); h++) {
      n0 = (n0 + b0) / 2;
      n1 = (n1 + b1) / 2;
      d = dev(n0, n1);
    }
    if (!Number.isFinite(d)) return null;
    b0 = n0;
    b1 = n1;
    if (Math.abs(d - devOld) / (Math.abs(d) + 0.1) < 1e-8) return [b0, b1];
    devOld = d;
  }
  return null;
}

/** NB log pmf (full, for deviances). */
function nbLogPmf(y: number, mu: number, alpha: number): number {
  const r = 1 / alpha;
  return logGammaRatio(y, r) - lgammaInt(y + 1) - r * Math.log1p(mu * alpha) + (y > 0 ? y * (Math.log(mu) - Math.log(mu + r)) : 0);
}

/**
 * NB GLM fit of one gene for X = [1, indicator] as DESeq2 `fitBeta`: IRLS on the
 * natural-log scale with ridge λ = 1e-6/ln(2)² on both coefficients, μ ≥ 0.5,
 * convergence |dev − dev_old|/(|dev| + 0.1) < 1e-8, at most 100 iterations; |β| > 30
 * stops as not converged. Returns natural-log coefficients and their sandwich variances.
 */
export function fitNbGlm2(
  k: ArrayLike<number>,
  sf: ArrayLike<number>,
  group: ArrayLike<number>,
  alpha: number,
): { beta: [number, number]; variance: [number, number]; converged: boolean; iterations: number } {
  const n = k.length;
  const lam = 1e-6 / (LN2 * LN2);
  // start: least squares of log(normalised + 0.1) on X = group means
  let sA = 0;
  let nA = 0;
  let sB = 0;
  let nB = 0;
  for (let j = 0; j < n; j++) {
    const v = Math.log(k[j]! / sf[j]! + 0.1);
    if (group[j] === 1) {
      sB += v;
      nB++;
    } else {
      sA += v;
      nA++;
    }
  }
  let b0 = sA / nA;
  let b1 = sB / nB - b0;
  const mu = new Float64Array(n);
  const setMu = (c0: number, c1: number) => {
    for (let j = 0; j < n; j++) mu[j] = Math.max(MIN_MU, sf[j]! * Math.exp(c0 + (group[j] === 1 ? c1 : 0)));
  };
  setMu(b0, b1);
  let devOld = 0;
  let converged = false;
  let it = 0;
  for (; it < 100; it++) {
    // normal equations of the ridge-augmented weighted LS: (XᵀWX + λI)β = XᵀWz
    let a00 = lam;
    let a01 = 0;
    let a11 = lam;
    let r0 = 0;
    let r1 = 0;
    for (let j = 0; j < n; j++) {
      const m = mu[j]!;
      const w = m / (1 + alpha * m);
      const z = Math.log(m / sf[j]!) + (k[j]! - m) / m;
      a00 += w;
      r0 += w * z;
      if (group[j] === 1) {
        a01 += w;
        a11 += w;
        r1 += w * z;
      }
    }
    const det = a00 * a11 - a01 * a01;
    const n0 = (a11 * r0 - a01 * r1) / det;
    const n1 = (a00 * r1 - a01 * r0) / det;
    if (Math.abs(n0) > 30 || Math.abs(n1) > 30 || !Number.isFinite(n0) || !Number.isFinite(n1)) {
      it = 100;
      break;
    }
    b0 = n0;
    b1 = n1;
    setMu(b0, b1);
    let dev = 0;
    for (let j = 0; j < n; j++) dev += -2 * nbLogPmf(k[j]!, mu[j]!, alpha);
    const conv = Math.abs(dev - devOld) / (Math.abs(dev) + 0.1);
    if (it > 0 && conv < 1e-8) {
      converged = true;
      break;
    }
    devOld = dev;
  }
  // sandwich (XᵀWX + Λ)⁻¹ XᵀWX (XᵀWX + Λ)⁻¹
  let w00 = 0;
  let w01 = 0;
  for (let j = 0; j < n; j++) {
    const w = mu[j]! / (1 + alpha * mu[j]!);
    w00 += w;
    if (group[j] === 1) w01 += w;
  }
  const w11 = w01;
  const p00 = w00 + lam;
  const p11 = w11 + lam;
  const p01 = w01;
  const det = p00 * p11 - p01 * p01;
  const i00 = p11 / det;
  const i01 = -p01 / det;
  const i11 = p00 / det;
  // S = Inv · W · Inv (2×2 symmetric)
  const t00 = i00 * w00 + i01 * w01;
  const t01 = i00 * w01 + i01 * w11;
  const t10 = i01 * w00 + i11 * w01;
  const t11 = i01 * w01 + i11 * w11;
  const v0 = t00 * i00 + t01 * i01;
  const v1 = t10 * i01 + t11 * i11;
  return { beta: [b0, b1], variance: [v0, v1], converged, iterations: it + 1 };
}

export interface DeseqOptions {
  /** |log2FC| threshold for a DEG (default 1) */
  lfcThreshold?: number;
  /** p threshold for a DEG (default 0.05, uncorrected as in the study) */
  pThreshold?: number;
}

export interface DeseqGeneRow {
  gene: string;
  baseMean: number;
  log2FoldChange: number;
  lfcSE: number;
  stat: number;
  pvalue: number;
  padj: number;
  dispGeneEst: number;
  dispFit: number;
  dispersion: number;
  dispOutlier: boolean;
  /** "up" / "down" when a DEG by the thresholds, else "" */
  deg: 'up' | 'down' | '';
}

export interface DeseqResult {
  method: string;
  reference: string;
  test: string;
  samples: string[];
  sizeFactors: Float64Array;
  trend: DispersionTrend;
  /** σ² of the log-dispersion prior, and the mad² it came from */
  dispPriorVar: number;
  varLogDispEsts: number;
  lfcThreshold: number;
  pThreshold: number;
  nUp: number;
  nDown: number;
  /** genes whose counts are all zero (reported with NaN statistics) */
  allZero: number;
  /** genes whose GLM did not converge */
  notConverged: number;
  /** where this run departs from DESeq2's own defaults (empty when it does not) */
  notes: string[];
  rows: DeseqGeneRow[];
}

export const DESEQ_METHOD =
  'Median-of-ratios size factors; negative-binomial GLM (~ group) with Cox–Reid adjusted gene-wise dispersions, ' +
  'a parametric dispersion trend a0 + a1/mean and empirical-Bayes (MAP) shrinkage as DESeq2; Wald test of the group ' +
  'coefficient, two-sided normal p; Benjamini–Hochberg q over all non-zero genes (no independent filtering, no Cook’s ' +
  'outlier handling); log2 fold changes are unshrunken maximum-likelihood estimates.';

/**
 * Differential expression of `test` vs `reference` for a genes × samples count
 * matrix. `groups[j]` is sample j's group; samples of other groups are left out.
 * Each of the two groups needs ≥ 2 samples (InvalidSampleGroups otherwise).
 */
export function deseqTwoGroup(
  table: { genes: string[]; samples: string[]; counts: Float64Array },
  groups: string[],
  contrast: { test: string; reference: string },
  opts: DeseqOptions = {},
): DeseqResult {
  const lfcThr = opts.lfcThreshold ?? 1;
  const pThr = opts.pThreshold ?? 0.05;
  if (!(lfcThr >= 0)) throw new InvalidParameter('lfcThreshold must be ≥ 0', 'lfcThreshold');
  if (!(pThr > 0 && pThr <= 1)) throw new InvalidParameter('pThreshold must be in (0, 1]', 'pThreshold');
  const { genes, samples, counts } = table;
  const G = genes.length;
  const S0 = samples.length;
  if (groups.length !== S0) throw new InvalidSampleGroups(`${groups.length} group labels for ${S0} samples`, 'samples');
  if (contrast.test === contrast.reference) throw new InvalidSampleGroups('test and reference groups are the same', 'samples');
  const cols: number[] = [];
  const grp: number[] = [];
  for (let j = 0; j < S0; j++) {
    if (groups[j] === contrast.reference) {
      cols.push(j);
      grp.push(0);
    } else if (groups[j] === contrast.test) {
      cols.push(j);
      grp.push(1);
    }
  }
  const nA = grp.filter((g) => g === 0).length;
  const nB = grp.length - nA;
  if (nA < 2 || nB < 2) {
    throw new InvalidSampleGroups(
      `each group needs at least 2 samples (reference group has ${nA}, test group has ${nB})`,
      'samples',
    );
  }
  const m = cols.length;
  const p = 2;
  const K = new Float64Array(G * m);
  for (let i = 0; i < G; i++) for (let c = 0; c < m; c++) K[i * m + c] = counts[i * S0 + cols[c]!]!;
  const sf = medianOfRatios(K, G, m);
  const maxDisp = Math.max(10, m);
  const minLog = Math.log(MIN_DISP / 10);
  const maxLog = Math.log(maxDisp);
  const xim = sf.reduce((s, v) => s + 1 / v, 0) / m;

  const baseMean = new Float64Array(G);
  const nz: number[] = [];
  const mus: Float64Array[] = [];
  const geneEst = new Float64Array(G).fill(NaN);
  const kRow = new Float64Array(m);
  for (let i = 0; i < G; i++) {
    let sAll = 0;
    let sA = 0;
    let sB = 0;
    for (let c = 0; c < m; c++) {
      const y = K[i * m + c]! / sf[c]!;
      sAll += y;
      if (grp[c] === 1) sB += y;
      else sA += y;
    }
    baseMean[i] = sAll / m;
    if (sAll === 0) continue;
    nz.push(i);
    const qA = sA / nA;
    const qB = sB / nB;
    // rough (method-of-moments around the group means) and moments estimates
    let rough = 0;
    let v = 0;
    const mu = new Float64Array(m);
    for (let c = 0; c < m; c++) {
      const y = K[i * m + c]! / sf[c]!;
      const q = grp[c] === 1 ? qB : qA;
      const mr = Math.max(1, q);
      rough += ((y - mr) ** 2 - mr) / (mr * mr);
      v += (y - baseMean[i]!) ** 2;
      mu[c] = Math.max(MIN_MU, sf[c]! * q);
    }
    rough = Math.max(rough / (m - p), 0);
    const bv = v / (m - 1);
    const moments = (bv - xim * baseMean[i]!) / (baseMean[i]! * baseMean[i]!);
    const init = Math.min(Math.max(MIN_DISP, Math.min(rough, moments)), maxDisp);
    for (let c = 0; c < m; c++) kRow[c] = K[i * m + c]!;
    const f = (x: number) => dispersionLogPosterior(x, kRow, mu, grp);
    const df = (x: number) => dispersionLogPosteriorSlope(x, kRow, mu, grp);
    const ls = dispersionLineSearch(f, df, Math.log(init), minLog);
    let est = Math.min(Math.exp(ls.logAlpha), maxDisp);
    if (ls.lastLp < ls.initialLp + Math.abs(ls.initialLp) / 1e6) est = init;
    const conv = ls.iter < 100 && ls.iter !== 1;
    if (!conv && est > MIN_DISP * 10) est = Math.exp(dispersionGrid(f, maxLog));
    geneEst[i] = Math.min(Math.max(est, MIN_DISP), maxDisp);
    mus[i] = mu;
  }
  // trend
  const fitIdx = nz.filter((i) => geneEst[i]! > 100 * MIN_DISP);
  if (fitIdx.length === 0) {
    throw new InvalidCounts('all gene-wise dispersion estimates are at the minimum: the dispersion trend cannot be fitted', 'counts');
  }
  let trend = parametricDispersionFit(
    fitIdx.map((i) => baseMean[i]!),
    fitIdx.map((i) => geneEst[i]!),
  );
  if (!trend) {
    // DESeq2 mean fit: trimmed (0.1%) mean of estimates above 10·minDisp; plain mean here
    const use = nz.filter((i) => geneEst[i]! > 10 * MIN_DISP);
    trend = { type: 'mean', asymptDisp: use.reduce((s, i) => s + geneEst[i]!, 0) / use.length, extraPois: 0 };
  }
  const tr = trend;
  const dispFit = (bm: number) => tr.asymptDisp + tr.extraPois / bm;
  const above = nz.filter((i) => geneEst[i]! >= 100 * MIN_DISP);
  const varLogDispEsts = mad(above.map((i) => Math.log(geneEst[i]!) - Math.log(dispFit(baseMean[i]!)))) ** 2;
  const dispPriorVar = Math.max(varLogDispEsts - trigamma((m - p) / 2), 0.25);
  const notes: string[] = [];
  if (m - p <= 3) {
    notes.push(`with ${m} samples (m − p = ${m - p} ≤ 3) DESeq2 sets the dispersion prior variance by simulation; here max(mad² − ψ₁((m − p)/2), 0.25)`);
  }
  if (tr.type === 'mean') notes.push('the parametric dispersion trend failed; the mean of the gene-wise estimates is used (DESeq2 would fit a local regression)');
  if (cols.length < S0) notes.push(`${S0 - cols.length} sample(s) of other groups left out of the fit (DESeq2 would fit them in the design)`);

  const rows: DeseqGeneRow[] = genes.map((gene, i) => ({
    gene,
    baseMean: baseMean[i]!,
    log2FoldChange: NaN,
    lfcSE: NaN,
    stat: NaN,
    pvalue: NaN,
    padj: NaN,
    dispGeneEst: NaN,
    dispFit: NaN,
    dispersion: NaN,
    dispOutlier: false,
    deg: '',
  }));
  let notConverged = 0;
  const sdLog = Math.sqrt(varLogDispEsts);
  for (const i of nz) {
    const fitV = dispFit(baseMean[i]!);
    for (let c = 0; c < m; c++) kRow[c] = K[i * m + c]!;
    const mu = mus[i]!;
    const prior = { mean: Math.log(fitV), variance: dispPriorVar };
    const f = (x: number) => dispersionLogPosterior(x, kRow, mu, grp, prior);
    const df = (x: number) => dispersionLogPosteriorSlope(x, kRow, mu, grp, prior);
    const init = geneEst[i]! > 0.1 * fitV ? geneEst[i]! : fitV;
    const ls = dispersionLineSearch(f, df, Math.log(init), minLog);
    const mapLog = ls.iter < 100 ? ls.logAlpha : dispersionGrid(f, maxLog);
    const map = Math.min(Math.max(Math.exp(mapLog), MIN_DISP), maxDisp);
    const outlier = Math.log(geneEst[i]!) > Math.log(fitV) + 2 * sdLog;
    const disp = outlier ? geneEst[i]! : map;
    const fit = fitNbGlm2(kRow, sf, grp, disp);
    if (!fit.converged) notConverged++;
    const lfc = fit.beta[1] / LN2;
    const se = Math.sqrt(fit.variance[1]) / LN2;
    const z = lfc / se;
    const r = rows[i]!;
    r.log2FoldChange = lfc;
    r.lfcSE = se;
    r.stat = z;
    r.pvalue = Math.min(1, 2 * normalTail(Math.abs(z)));
    r.dispGeneEst = geneEst[i]!;
    r.dispFit = fitV;
    r.dispersion = disp;
    r.dispOutlier = outlier;
  }
  const tested = nz.filter((i) => Number.isFinite(rows[i]!.pvalue));
  const q = bhAdjust(tested.map((i) => rows[i]!.pvalue));
  tested.forEach((i, t) => (rows[i]!.padj = q[t]!));
  let nUp = 0;
  let nDown = 0;
  for (const r of rows) {
    if (Number.isFinite(r.pvalue) && r.pvalue < pThr && Math.abs(r.log2FoldChange) >= lfcThr) {
      r.deg = r.log2FoldChange > 0 ? 'up' : 'down';
      if (r.deg === 'up') nUp++;
      else nDown++;
    }
  }
  return {
    method: DESEQ_METHOD,
    reference: contrast.reference,
    test: contrast.test,
    samples: cols.map((c) => samples[c]!),
    sizeFactors: sf,
    trend: tr,
    dispPriorVar,
    varLogDispEsts,
    lfcThreshold: lfcThr,
    pThreshold: pThr,
    nUp,
    nDown,
    allZero: G - nz.length,
    notConverged,
    notes,
    rows,
  };
}

/** `tables/deg.csv`: every gene with its statistics and DEG call ("up", "down" or empty). */
export function degCsv(res: DeseqResult): string {
  const esc = (v: unknown): string => {
    if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ['gene', 'baseMean', 'log2FoldChange', 'lfcSE', 'stat', 'pvalue', 'padj', 'dispersion', 'deg'];
  const lines = res.rows.map((r) => [r.gene, r.baseMean, r.log2FoldChange, r.lfcSE, r.stat, r.pvalue, r.padj, r.dispersion, r.deg].map(esc).join(','));
  return [head.join(','), ...lines].join('\n') + '\n';
}

export interface DeseqTableOptions extends DeseqOptions {
  countsSource?: string;
  samplesSource?: string;
  sampleColumn?: string;
  groupColumn?: string;
  /** test group; with `reference` optional when the table has exactly two groups */
  test?: string;
  /** reference group (default: the alphabetically first of two groups, as R's factor levels) */
  reference?: string;
}

/**
 * Differential expression straight from the two table texts: every count column must
 * have a row in the sample table (InvalidSampleGroups otherwise). With exactly two
 * groups the contrast defaults to the alphabetically second vs the first.
 */
export function deseqFromTables(countsText: string, samplesText: string, opts: DeseqTableOptions = {}): DeseqResult {
  const cs = opts.countsSource ?? 'counts';
  const ss = opts.samplesSource ?? 'samples';
  const table = parseCountTable(countsText, cs);
  const groupOf = parseSampleTable(samplesText, ss, { sampleColumn: opts.sampleColumn, groupColumn: opts.groupColumn });
  const groups = table.samples.map((s, j) => {
    const g = groupOf.get(s);
    if (g === undefined) throw new InvalidSampleGroups(`${cs} column ${j + 2}: sample has no row in ${ss}`, ss);
    return g;
  });
  const levels = [...new Set(groups)].sort();
  let test = opts.test;
  let reference = opts.reference;
  if (test === undefined || reference === undefined) {
    if (levels.length !== 2) {
      throw new InvalidSampleGroups(`${levels.length} groups in ${ss}: name the test and reference groups`, ss);
    }
    reference ??= test === levels[0] ? levels[1]! : levels[0]!;
    test ??= levels.find((l) => l !== reference)!;
  }
  for (const g of [test, reference]) {
    if (!levels.includes(g)) throw new InvalidSampleGroups(`group "${g}" has no sample in ${ss}`, ss);
  }
  return deseqTwoGroup(table, groups, { test, reference }, opts);
}
