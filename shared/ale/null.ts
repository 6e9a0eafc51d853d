/**
 * The approximate (histogram-convolution) null of ALE under spatial independence
 * (Eickhoff 2012), binned exactly as the reference: bin width 1e-5, bin centres
 * c_i = i / 1e5 used as left bin edges, experiments combined by
 * H'[floor((1 - (1 - c_i)(1 - c_j)) / step)] += h_e[i] H[j].
 */
import { normalQuantile } from '../stats/distributions.ts';
import type { SparseMa } from './ale.ts';

export const INV_STEP = 100000;
const STEP = 1 / INV_STEP;

export interface AleNull {
  /** number of bins; bin i has centre / left edge i / 1e5 */
  nBins: number;
  /** combined histogram weights (probabilities) */
  weights: Float64Array;
  /** P(ALE >= c_i) normalised as the reference: reversed cumulative sum over its maximum */
  tail: Float64Array;
  /** smallest non-zero tail value: p floor */
  minP: number;
}

const centre = (i: number) => i / INV_STEP;

/** Bin of v among left edges c_0..c_{n-1} (right edge c_{n-1} + step, inclusive); -1 outside. */
function binOf(v: number, nBins: number): number {
  let b = Math.floor(v * INV_STEP);
  if (b < 0) b = 0;
  while (b > 0 && centre(b) > v) b--;
  while (b + 1 < nBins && centre(b + 1) <= v) b++;
  if (b >= nBins) return -1;
  if (b === nBins - 1 && v > centre(nBins - 1) + (centre(1) - centre(0))) return -1;
  return b;
}

/** Histogram null of ALE from the in-mask MA values of each experiment. */
export function aleNull(ma: readonly SparseMa[], nMaskVoxels: number): AleNull {
  // bins reach the largest possible ALE (per-experiment maxima rounded up to the bin width)
  let q = 1;
  for (const m of ma) {
    let mx = 0;
    for (let c = 0; c < m.value.length; c++) if (m.value[c]! > mx) mx = m.value[c]!;
    q *= 1 - Math.ceil(mx * INV_STEP) / INV_STEP;
  }
  const maxPossible = 1 - q;
  const nBins = Math.ceil((maxPossible + 1.5 * STEP) / STEP);
  const step = centre(1) - centre(0);
  const inv = 1 / step;
  const hists = ma.map((m) => {
    const h = new Float64Array(nBins);
    for (let c = 0; c < m.value.length; c++) {
      const b = binOf(m.value[c]!, nBins);
      if (b >= 0) h[b]! += 1;
    }
    h[0]! += nMaskVoxels - m.value.length;
    let s = 0;
    for (let i = 0; i < nBins; i++) s += h[i]!;
    for (let i = 0; i < nBins; i++) h[i]! /= s;
    return h;
  });
  let ale = Float64Array.from(hists[0]!);
  // 1 - c_j per bin, and the non-zero bins of the running histogram gathered contiguously
  // (bin, 1 - c_j, weight): the same operands in the same order as the plain double loop
  const oneMinusC = new Float64Array(nBins);
  for (let i = 0; i < nBins; i++) oneMinusC[i] = 1 - centre(i);
  const nzA = new Int32Array(nBins);
  const omA = new Float64Array(nBins);
  const wA = new Float64Array(nBins);
  const nzE = new Int32Array(nBins);
  const last = nBins - 1;
  for (let e = 1; e < hists.length; e++) {
    const h = hists[e]!;
    let na = 0;
    let ne = 0;
    for (let i = 0; i < nBins; i++) {
      if (ale[i]! > 0) {
        nzA[na] = i;
        omA[na] = oneMinusC[i]!;
        wA[na++] = ale[i]!;
      }
      if (h[i]! > 0) nzE[ne++] = i;
    }
    const next = new Float64Array(nBins);
    for (let a = 0; a < ne; a++) {
      const i = nzE[a]!;
      const oneMinusE = oneMinusC[i]!;
      const pe = h[i]!;
      for (let b = 0; b < na; b++) {
        const idx = Math.floor((1 - oneMinusE * omA[b]!) * inv);
        next[idx < nBins ? idx : last]! += pe * wA[b]!;
      }
    }
    ale = next;
  }
  return nullFromWeights(ale);
}

/** The null of combined histogram weights (tail and p floor derived from them). */
export function nullFromWeights(weights: Float64Array): AleNull {
  return { nBins: weights.length, weights, ...tailOf(weights) };
}

function tailOf(weights: Float64Array): { tail: Float64Array; minP: number } {
  const n = weights.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += weights[i]!;
  const tail = new Float64Array(n);
  let acc = 0;
  for (let i = n - 1; i >= 0; i--) {
    acc += weights[i]! / s;
    tail[i] = acc;
  }
  let mx = 0;
  for (let i = 0; i < n; i++) if (tail[i]! > mx) mx = tail[i]!;
  let minP = Infinity;
  for (let i = 0; i < n; i++) {
    tail[i]! /= mx;
    if (tail[i]! !== 0 && tail[i]! < minP) minP = tail[i]!;
  }
  return { tail, minP };
}

/** Voxel p of one ALE value: the tail from bin round(ale / step); 1 for ALE 0; floored at the smallest tail. */
export function aleP(nul: AleNull, ale: number): number {
  if (!(ale > 0)) return 1;
  let b = Math.round(ale * INV_STEP);
  if (b >= nul.nBins) b = nul.nBins - 1;
  return Math.max(nul.minP, Math.min(nul.tail[b]!, 1));
}

/** z = Phi^-1(1 - p) with negatives set to 0. */
export function pToZ(p: number): number {
  const z = -normalQuantile(p);
  return z > 0 ? z : 0;
}

/**
 * The cluster-forming ALE threshold for voxel p: the bin centre just below the first
 * bin whose tail is <= p (the reference's convention).
 */
export function clusterFormingAle(nul: AleNull, p: number): number {
  let first = -1;
  for (let i = 0; i < nul.nBins; i++) {
    if (nul.tail[i]! <= p) {
      first = i;
      break;
    }
  }
  if (first < 0) first = nul.nBins - 1;
  return centre(Math.max(0, first - 1));
}
