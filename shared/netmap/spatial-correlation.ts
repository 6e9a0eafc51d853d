/**
 * Spatial correlation of two maps on one grid (ALGORITHMS §H validation: Pearson over the
 * in-mask voxels; Spearman as the Pearson of average ranks).
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { assertSameLength as sameLength } from './map-grid.ts';

export type CorrelationMethod = 'pearson' | 'spearman';

export interface SpatialCorrelation {
  method: CorrelationMethod;
  /** correlation coefficient in [−1, 1]; NaN when either map is constant over the voxels used */
  r: number;
  /** voxels used: in the mask and finite in both maps */
  n: number;
}

/** Pearson r of n pairs, one pass with Welford co-moment updates (float64). NaN for zero variance. */
export function pearsonOfPairs(x: Float64Array, y: Float64Array, n: number): number {
  let mx = 0;
  let my = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]!;
    const b = y[i]!;
    const dx = a - mx;
    const dy = b - my;
    mx += dx / (i + 1);
    my += dy / (i + 1);
    sxx += dx * (a - mx);
    syy += dy * (b - my);
    sxy += dx * (b - my);
  }
  if (!(sxx > 0) || !(syy > 0)) return NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** Ranks 1…n with ties given their average rank, written into `out`. */
function averageRanks(x: Float64Array, n: number, out: Float64Array): void {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((p, q) => x[p]! - x[q]! || p - q);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && x[idx[j]!] === x[idx[i]!]) j++;
    const rank = (i + 1 + j) / 2; // mean of ranks i+1 … j
    for (let m = i; m < j; m++) out[idx[m]!] = rank;
    i = j;
  }
}

/**
 * Spatial correlation of two maps over the voxels where `mask` is set (all voxels without
 * a mask), skipping voxels where either map is NaN or ±Inf. Pearson by default (float64,
 * one pass, Welford co-moments); Spearman = Pearson of the average ranks (ties share their
 * mean rank). Returns r = NaN when either map is constant over the voxels used (including a
 * single voxel) — r is undefined there; a perfectly (anti-)correlated pair gives exactly
 * ±1 after clamping round-off. Throws SpaceMismatch for maps/mask of different lengths and
 * EmptyData when no voxel is usable.
 */
export function spatialCorrelation(
  a: Float32Array,
  b: Float32Array,
  opts: { mask?: Uint8Array; method?: CorrelationMethod } = {},
  input = 'maps',
): SpatialCorrelation {
  const method = opts.method ?? 'pearson';
  if (method !== 'pearson' && method !== 'spearman') throw new InvalidParameter(`correlation method must be 'pearson' or 'spearman', got ${String(method)}`, input);
  const V = a.length;
  sameLength(V, b.length, 'the second map', input);
  const mask = opts.mask;
  if (mask) sameLength(V, mask.length, 'the mask', input);
  const x = new Float64Array(V);
  const y = new Float64Array(V);
  let n = 0;
  for (let v = 0; v < V; v++) {
    if (mask && mask[v] === 0) continue;
    const p = a[v]!;
    const q = b[v]!;
    if (!Number.isFinite(p) || !Number.isFinite(q)) continue;
    x[n] = p;
    y[n] = q;
    n++;
  }
  if (n === 0) throw new EmptyData('no voxel is inside the mask and finite in both maps', input);
  if (method === 'pearson') return { method, r: pearsonOfPairs(x, y, n), n };
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  averageRanks(x, n, rx);
  averageRanks(y, n, ry);
  return { method, r: pearsonOfPairs(rx, ry, n), n };
}
