/**
 * Atlas-mask overlap statistic of §H and its null: 100 × the mean map value over a set of
 * atlas labels, against random label sets of the same size from the same atlas (Monte Carlo,
 * draw k from stream(seed, k), or exact enumeration for small atlases).
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { stream } from '../random.ts';
import { assertSameLength as sameLength } from './map-grid.ts';

/** Per-label sums of a map over an atlas: the one pass over voxels that every atlas mask statistic needs. */
export interface AtlasLabelStats {
  /** labels present (non-zero, inside the mask, with ≥ 1 finite map voxel), ascending */
  labels: Int32Array;
  /** Σ map over each label's voxels (float64) */
  sum: Float64Array;
  /** number of each label's voxels */
  count: Float64Array;
}

/**
 * Sum and count of the map's finite values per atlas label (label 0 = background; NaN map
 * voxels are left out). Atlas values must be integers (float32 storage is fine).
 */
export function atlasLabelStats(map: Float32Array, atlas: ArrayLike<number>, mask?: Uint8Array, input = 'atlas'): AtlasLabelStats {
  const V = map.length;
  sameLength(V, atlas.length, 'the atlas', input);
  if (mask) sameLength(V, mask.length, 'the mask', input);
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  // labels are usually small integers: dense arrays for 0…65535, a Map beyond
  const DENSE = 65536;
  const dSum = new Float64Array(DENSE);
  const dCount = new Float64Array(DENSE);
  for (let v = 0; v < V; v++) {
    if (mask && mask[v] === 0) continue;
    const l = atlas[v]!;
    if (l === 0) continue;
    if (!Number.isInteger(l)) throw new InvalidParameter(`atlas voxel ${v} holds ${l}; atlas labels must be integers`, input);
    const x = map[v]!;
    if (!Number.isFinite(x)) continue;
    if (l > 0 && l < DENSE) {
      dSum[l] += x;
      dCount[l]!++;
    } else {
      sums.set(l, (sums.get(l) ?? 0) + x);
      counts.set(l, (counts.get(l) ?? 0) + 1);
    }
  }
  for (let l = 1; l < DENSE; l++) if (dCount[l]! > 0) {
    sums.set(l, dSum[l]!);
    counts.set(l, dCount[l]!);
  }
  const labels = Int32Array.from([...counts.keys()].sort((p, q) => p - q));
  return {
    labels,
    sum: Float64Array.from(labels, (l) => sums.get(l)!),
    count: Float64Array.from(labels, (l) => counts.get(l)!),
  };
}

/** Positions of `labelSet` in `stats.labels`, ascending; refuses labels absent from the atlas and duplicates. */
function labelPositions(stats: AtlasLabelStats, labelSet: readonly number[], input: string): Int32Array {
  if (labelSet.length === 0) throw new EmptyData('the atlas label set is empty', input);
  const pos = new Int32Array(labelSet.length);
  labelSet.forEach((l, i) => {
    let lo = 0;
    let hi = stats.labels.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = stats.labels[mid]!;
      if (m === l) {
        at = mid;
        break;
      }
      if (m < l) lo = mid + 1;
      else hi = mid - 1;
    }
    if (at < 0) throw new InvalidParameter(`label ${l} has no voxel in the atlas (inside the mask)`, input);
    pos[i] = at;
  });
  pos.sort();
  for (let i = 1; i < pos.length; i++) if (pos[i] === pos[i - 1]) throw new InvalidParameter(`label ${stats.labels[pos[i]!]} is listed twice`, input);
  return pos;
}

/** 100 × mean map value over the union of the labels at sorted positions pos[0…s-1] (sums taken in that order). */
function meanOfPositions(stats: AtlasLabelStats, pos: Int32Array, s: number): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < s; i++) {
    sum += stats.sum[pos[i]!]!;
    count += stats.count[pos[i]!]!;
  }
  return (100 * sum) / count;
}

/**
 * Atlas-mask statistic of §H: 100 × the mean map value over all voxels whose atlas label is
 * in `labelSet` (zeros of the map count; NaN voxels do not). Throws EmptyData for an empty
 * set and InvalidParameter for a label with no voxel.
 */
export function atlasMaskMean(stats: AtlasLabelStats, labelSet: readonly number[], input = 'labels'): number {
  const pos = labelPositions(stats, labelSet, input);
  return meanOfPositions(stats, pos, pos.length);
}

/**
 * Null values of the atlas-mask statistic for random draws number `first` … `first+count−1`:
 * draw k takes `setSize` distinct labels uniformly from all labels present in the atlas
 * (the observed labels included), with a partial Fisher–Yates shuffle driven by
 * stream(seed, k) — so draw k is a pure function of (seed, k) and any split of the draws
 * over workers gives the same values. Values are summed in ascending label order, so a draw
 * that picks the observed set gives exactly the observed value.
 */
export function atlasNullValues(stats: AtlasLabelStats, setSize: number, seed: number, first: number, count: number, input = 'labels'): Float64Array {
  const L = stats.labels.length;
  if (!Number.isInteger(setSize) || setSize < 1 || setSize > L) throw new InvalidParameter(`label set size must be an integer in 1…${L} (labels in the atlas), got ${setSize}`, input);
  if (!Number.isInteger(first) || first < 0 || !Number.isInteger(count) || count < 0) throw new InvalidParameter(`null draws ${first}…+${count} must be non-negative integers`, input);
  const out = new Float64Array(count);
  const perm = new Int32Array(L);
  const pick = new Int32Array(setSize);
  for (let d = 0; d < count; d++) {
    const rng = stream(seed, first + d);
    for (let i = 0; i < L; i++) perm[i] = i;
    for (let i = 0; i < setSize; i++) {
      const j = i + rng.int(L - i);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
      pick[i] = perm[i]!;
    }
    pick.sort();
    out[d] = meanOfPositions(stats, pick, setSize);
  }
  return out;
}

export type Alternative = 'greater' | 'less';

export interface AtlasMaskTest {
  /** 100 × mean over the observed label set */
  observed: number;
  setSize: number;
  /** labels the null draws from */
  nLabels: number;
  /** null values, draw k at position k */
  null: Float64Array;
  /** (1 + #{null ≥ observed}) / (1 + n) for 'greater' (≤ for 'less') */
  p: number;
}

/** Monte Carlo p from null values: (1 + #{null ≥ obs}) / (1 + n) ('greater'), ≤ for 'less'. */
export function nullP(observed: number, nullValues: Float64Array, alternative: Alternative = 'greater'): number {
  let hits = 0;
  if (alternative === 'greater') {
    for (let i = 0; i < nullValues.length; i++) if (nullValues[i]! >= observed) hits++;
  } else {
    for (let i = 0; i < nullValues.length; i++) if (nullValues[i]! <= observed) hits++;
  }
  return (1 + hits) / (1 + nullValues.length);
}

/**
 * Atlas-mask test: the observed statistic of `labelSet` against `nNull` random label sets of
 * the same size from the same atlas (see {@link atlasNullValues}), p = (1 + #null ≥ observed)/(1 + n).
 */
export function atlasMaskTest(
  stats: AtlasLabelStats,
  labelSet: readonly number[],
  opts: { nNull: number; seed: number; alternative?: Alternative },
  input = 'labels',
): AtlasMaskTest {
  if (!Number.isInteger(opts.nNull) || opts.nNull < 1 || opts.nNull > 10_000_000) throw new InvalidParameter(`number of null masks must be an integer in 1…10,000,000, got ${opts.nNull}`, input);
  const alternative = opts.alternative ?? 'greater';
  if (alternative !== 'greater' && alternative !== 'less') throw new InvalidParameter(`alternative must be 'greater' or 'less', got ${String(alternative)}`, input);
  const observed = atlasMaskMean(stats, labelSet, input);
  const nul = atlasNullValues(stats, labelSet.length, opts.seed, 0, opts.nNull, input);
  return { observed, setSize: labelSet.length, nLabels: stats.labels.length, null: nul, p: nullP(observed, nul, alternative) };
}

/**
 * Exact version for small atlases: the statistic of every label subset of the observed size
 * (C(L, s) ≤ 1e6 subsets, else InvalidParameter), p = #{subsets ≥ observed} / C(L, s)
 * (the observed set is one of them). This is the limit of the Monte Carlo p as n → ∞.
 */
export function atlasMaskExact(stats: AtlasLabelStats, labelSet: readonly number[], alternative: Alternative = 'greater', input = 'labels'): { observed: number; p: number; nSubsets: number } {
  const observed = atlasMaskMean(stats, labelSet, input);
  const L = stats.labels.length;
  const s = labelSet.length;
  let c = 1;
  for (let i = 1; i <= s; i++) c = (c * (L - s + i)) / i;
  c = Math.round(c);
  if (c > 1_000_000) throw new InvalidParameter(`${c} label subsets are too many to enumerate (limit 1,000,000); use the Monte Carlo null`, input);
  const pos = Int32Array.from({ length: s }, (_, i) => i);
  let hits = 0;
  let total = 0;
  for (;;) {
    const m = meanOfPositions(stats, pos, s);
    if (alternative === 'greater' ? m >= observed : m <= observed) hits++;
    total++;
    let i = s - 1;
    while (i >= 0 && pos[i] === L - s + i) i--;
    if (i < 0) break;
    pos[i]!++;
    for (let j = i + 1; j < s; j++) pos[j] = pos[j - 1]! + 1;
  }
  return { observed, p: hits / total, nSubsets: total };
}
