/**
 * Validation statistics on finished network maps (ALGORITHMS.md §H): spatial correlation,
 * peaks, atlas-mask means against a null of random atlas masks, Welch t-tests of sphere-ROI
 * values, and 10–20 EEG electrode spheres. Pure functions on typed arrays (x fastest, the
 * NIfTI order); masks are Uint8Array 0/1 (see {@link binaryMask}); grids are
 * {dims, affine (voxel → mm, row-major 4×4)} as in shared/volume/spheres.ts.
 */
import { EmptyData, InvalidCoordinates, InvalidParameter, SpaceMismatch } from '../errors.ts';
import { voxelToMm } from '../nifti/affine.ts';
import { stream } from '../random.ts';
import { twoTailedTP } from '../stats/distributions.ts';
import { type GridGeometry, sphereMask } from '../volume/spheres.ts';

function sameLength(n: number, len: number, what: string, input: string): void {
  if (len !== n) throw new SpaceMismatch(`${what} has ${len} voxels; expected ${n} (the maps must be on one voxel grid)`, input);
}

function gridSize(grid: GridGeometry, input: string): number {
  const [nx, ny, nz] = grid.dims;
  if (![nx, ny, nz].every((d) => Number.isInteger(d) && d > 0)) throw new InvalidParameter(`grid dimensions must be positive integers, got ${grid.dims.join('×')}`, input);
  if (grid.affine.length !== 16) throw new InvalidParameter(`grid affine must have 16 entries, got ${grid.affine.length}`, input);
  return nx * ny * nz;
}

/** 0/1 mask from any image: 1 where the value is finite and non-zero (e.g. a brain mask stored as a parcellation). */
export function binaryMask(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let v = 0; v < data.length; v++) {
    const x = data[v]!;
    out[v] = x !== 0 && Number.isFinite(x) ? 1 : 0;
  }
  return out;
}

// ─── spatial correlation ────────────────────────────────────────────────────

export type CorrelationMethod = 'pearson' | 'spearman';

export interface SpatialCorrelation {
  method: CorrelationMethod;
  /** correlation coefficient in [−1, 1]; NaN when either map is constant over the voxels used */
  r: number;
  /** voxels used: in the mask and finite in both maps */
  n: number;
}

/** Pearson r of n pairs, one pass with Welford co-moment updates (float64). NaN for zero variance. */
function pearson(x: Float64Array, y: Float64Array, n: number): number {
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
  if (method === 'pearson') return { method, r: pearson(x, y, n), n };
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  averageRanks(x, n, rx);
  averageRanks(y, n, ry);
  return { method, r: pearson(rx, ry, n), n };
}

// ─── peaks ──────────────────────────────────────────────────────────────────

export interface PeakVoxel {
  /** linear index (x fastest) */
  index: number;
  ijk: [number, number, number];
  /** MNI (or scanner) mm through the grid affine */
  mm: [number, number, number];
}

export interface Peak {
  value: number;
  /** every voxel holding `value`, in increasing linear index; more than one means a tie */
  voxels: PeakVoxel[];
}

function peakVoxel(index: number, grid: GridGeometry, affine: Float64Array): PeakVoxel {
  const [nx, ny] = grid.dims;
  const i = index % nx;
  const j = Math.floor(index / nx) % ny;
  const k = Math.floor(index / (nx * ny));
  return { index, ijk: [i, j, k], mm: voxelToMm(affine, i, j, k) };
}

/**
 * The maximum (or, with `mode: 'min'`, the minimum) of a map over the voxels where `mask`
 * is set, NaN voxels ignored, with every voxel that shares that exact value (ties) in index
 * order and their mm coordinates. Throws EmptyData when no voxel is usable.
 */
export function findPeak(map: Float32Array, grid: GridGeometry, opts: { mask?: Uint8Array; mode?: 'max' | 'min' } = {}, input = 'map'): Peak {
  const V = gridSize(grid, input);
  sameLength(V, map.length, input, input);
  const mask = opts.mask;
  if (mask) sameLength(V, mask.length, 'the mask', input);
  const sign = opts.mode === 'min' ? -1 : 1;
  if (opts.mode !== undefined && opts.mode !== 'max' && opts.mode !== 'min') throw new InvalidParameter(`peak mode must be 'max' or 'min', got ${String(opts.mode)}`, input);
  let best = -Infinity;
  let first = -1;
  let ties = 0;
  for (let v = 0; v < V; v++) {
    if (mask && mask[v] === 0) continue;
    const x = sign * map[v]!;
    if (Number.isNaN(x)) continue;
    if (x > best || first < 0) {
      best = x;
      first = v;
      ties = 1;
    } else if (x === best) ties++;
  }
  if (first < 0) throw new EmptyData('no voxel with a value inside the mask', input);
  const affine = Float64Array.from(grid.affine);
  const voxels: PeakVoxel[] = [];
  for (let v = first; v < V && voxels.length < ties; v++) {
    if (mask && mask[v] === 0) continue;
    if (sign * map[v]! === best) voxels.push(peakVoxel(v, grid, affine));
  }
  return { value: sign * best, voxels };
}

export interface LocalMaximum extends PeakVoxel {
  value: number;
}

/**
 * Up to `k` local maxima of a map inside `mask`, highest first (ties by index). A local
 * maximum is a usable voxel (in the mask, not NaN) whose value is ≥ that of each usable
 * voxel among its 26 neighbours (so every voxel of a flat plateau qualifies). Candidates
 * are taken greedily in that order and kept when they lie at least `minDistanceMm` (mm,
 * Euclidean, ≥) from every maximum already kept. Only values > `minValue` (default −∞)
 * qualify.
 */
export function localMaxima(
  map: Float32Array,
  grid: GridGeometry,
  opts: { k?: number; minDistanceMm?: number; mask?: Uint8Array; minValue?: number } = {},
  input = 'map',
): LocalMaximum[] {
  const V = gridSize(grid, input);
  sameLength(V, map.length, input, input);
  const mask = opts.mask;
  if (mask) sameLength(V, mask.length, 'the mask', input);
  const kMax = opts.k ?? 10;
  const minD = opts.minDistanceMm ?? 0;
  const minValue = opts.minValue ?? -Infinity;
  if (!Number.isInteger(kMax) || kMax < 1 || kMax > 1_000_000) throw new InvalidParameter(`k must be an integer in 1…1,000,000, got ${kMax}`, input);
  if (!Number.isFinite(minD) || minD < 0) throw new InvalidParameter(`minimum peak distance must be a finite number ≥ 0 mm, got ${minD}`, input);
  if (Number.isNaN(minValue)) throw new InvalidParameter('minValue must not be NaN', input);
  const [nx, ny, nz] = grid.dims;
  const usable = (v: number) => (!mask || mask[v] !== 0) && !Number.isNaN(map[v]!);
  const cand: number[] = [];
  for (let kk = 0; kk < nz; kk++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * kk);
        if (!usable(v)) continue;
        const x = map[v]!;
        if (!(x > minValue)) continue;
        let isMax = true;
        for (let dk = -1; dk <= 1 && isMax; dk++) {
          const k2 = kk + dk;
          if (k2 < 0 || k2 >= nz) continue;
          for (let dj = -1; dj <= 1 && isMax; dj++) {
            const j2 = j + dj;
            if (j2 < 0 || j2 >= ny) continue;
            for (let di = -1; di <= 1; di++) {
              const i2 = i + di;
              if (i2 < 0 || i2 >= nx || (di === 0 && dj === 0 && dk === 0)) continue;
              const w = i2 + nx * (j2 + ny * k2);
              if (usable(w) && map[w]! > x) {
                isMax = false;
                break;
              }
            }
          }
        }
        if (isMax) cand.push(v);
      }
    }
  }
  cand.sort((p, q) => map[q]! - map[p]! || p - q);
  const affine = Float64Array.from(grid.affine);
  const kept: LocalMaximum[] = [];
  const d2 = minD * minD * (1 - 1e-12);
  for (const v of cand) {
    if (kept.length >= kMax) break;
    const pv = peakVoxel(v, grid, affine);
    const far = kept.every((m) => (m.mm[0] - pv.mm[0]) ** 2 + (m.mm[1] - pv.mm[1]) ** 2 + (m.mm[2] - pv.mm[2]) ** 2 >= d2);
    if (far) kept.push({ ...pv, value: map[v]! });
  }
  return kept;
}

// ─── atlas masks ────────────────────────────────────────────────────────────

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

// ─── Welch t-test ───────────────────────────────────────────────────────────

export interface WelchTTest {
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** sample variances (n − 1) */
  varA: number;
  varB: number;
  /** (meanA − meanB) / √(varA/nA + varB/nB) */
  t: number;
  /** Welch–Satterthwaite degrees of freedom */
  df: number;
  /** two-sided p from Student's t with df (shared/stats/distributions twoTailedTP) */
  p: number;
}

function meanVar(x: ArrayLike<number>, what: string, input: string): [number, number] {
  const n = x.length;
  if (n < 2) throw new InvalidParameter(`${what} has ${n} value(s); Welch's t-test needs at least 2 per group`, input);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new InvalidParameter(`${what}[${i}] is ${v}; values must be finite`, input);
    m += v;
  }
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i]! - m) ** 2;
  return [m, ss / (n - 1)];
}

/**
 * Welch's unequal-variance t-test of A vs B (e.g. sphere-ROI overlap values of two sets of
 * coordinates): t = (mA − mB)/√(sA²/nA + sB²/nB), df = (sA²/nA + sB²/nB)² /
 * ((sA²/nA)²/(nA−1) + (sB²/nB)²/(nB−1)), two-sided p. Each group needs ≥ 2 finite values
 * (InvalidParameter otherwise). When both groups are constant the standard error is 0 and
 * t, df and p are NaN (undefined), even if the means differ.
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>, input = 'groups'): WelchTTest {
  const [meanA, varA] = meanVar(a, 'group A', input);
  const [meanB, varB] = meanVar(b, 'group B', input);
  const nA = a.length;
  const nB = b.length;
  const qa = varA / nA;
  const qb = varB / nB;
  const se2 = qa + qb;
  if (!(se2 > 0)) return { nA, nB, meanA, meanB, varA, varB, t: NaN, df: NaN, p: NaN };
  const t = (meanA - meanB) / Math.sqrt(se2);
  const df = (se2 * se2) / ((qa * qa) / (nA - 1) + (qb * qb) / (nB - 1));
  return { nA, nB, meanA, meanB, varA, varB, t, df, p: twoTailedTP(t, df) };
}

// ─── spheres and EEG electrodes ─────────────────────────────────────────────

export interface NamedPoint {
  label: string;
  mm: [number, number, number];
}

/**
 * Parse an electrode (or any point) table `label,x,y,z` in mm: header row with columns
 * label, x, y, z (any order, case-insensitive; comma or tab separated), blank lines and
 * '#' comments ignored. Throws InvalidCoordinates naming the line for a missing column,
 * a short row, a non-numeric coordinate or a duplicate label.
 */
export function parsePointTable(text: string, source = 'points'): NamedPoint[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const rows = lines.map((l, i) => ({ l: l.trim(), no: i + 1 })).filter((r) => r.l !== '' && !r.l.startsWith('#'));
  if (rows.length === 0) throw new InvalidCoordinates(`${source} is empty`, source);
  const delim = rows[0]!.l.includes('\t') ? '\t' : ',';
  const head = rows[0]!.l.split(delim).map((h) => h.trim().toLowerCase());
  const col = (name: string) => {
    const c = head.indexOf(name);
    if (c < 0) throw new InvalidCoordinates(`${source} line ${rows[0]!.no}: no "${name}" column (need label,x,y,z)`, source);
    return c;
  };
  const cl = col('label');
  const cx = col('x');
  const cy = col('y');
  const cz = col('z');
  const seen = new Set<string>();
  const out: NamedPoint[] = [];
  for (const r of rows.slice(1)) {
    const f = r.l.split(delim).map((s) => s.trim());
    if (f.length < head.length) throw new InvalidCoordinates(`${source} line ${r.no}: ${f.length} fields, the header has ${head.length}`, source);
    const label = f[cl]!;
    if (label === '') throw new InvalidCoordinates(`${source} line ${r.no}: empty label`, source);
    if (seen.has(label)) throw new InvalidCoordinates(`${source} line ${r.no}: label "${label}" appears twice`, source);
    seen.add(label);
    const mm = [f[cx]!, f[cy]!, f[cz]!].map((s) => (s === '' ? NaN : Number(s)));
    if (!mm.every(Number.isFinite)) throw new InvalidCoordinates(`${source} line ${r.no}: coordinates "${f[cx]}, ${f[cy]}, ${f[cz]}" are not finite numbers`, source);
    out.push({ label, mm: mm as [number, number, number] });
  }
  if (out.length === 0) throw new InvalidCoordinates(`${source} has a header but no rows`, source);
  return out;
}

export interface SphereValue {
  label: string;
  mm: [number, number, number];
  /** voxels in the sphere (after restriction to the mask) with a finite map value */
  nVoxels: number;
  /** mean map value over those voxels; NaN when there are none */
  mean: number;
}

/**
 * Mean map value in a sphere of `radiusMm` around each point (sphereMask's inclusive rule:
 * voxel centres at distance ≤ radius), restricted to `within` (e.g. the brain mask) and to
 * finite map voxels. A sphere with no such voxel gets nVoxels 0 and mean NaN.
 */
export function sphereMeans(map: Float32Array, grid: GridGeometry, points: readonly NamedPoint[], radiusMm: number, within?: Uint8Array, input = 'spheres'): SphereValue[] {
  const V = gridSize(grid, input);
  sameLength(V, map.length, 'the map', input);
  if (within) sameLength(V, within.length, 'the restricting mask', input);
  if (!(radiusMm > 0) || radiusMm > 500) throw new InvalidParameter(`sphere radius must be in (0, 500] mm, got ${radiusMm}`, input);
  return points.map((p) => {
    const m = sphereMask(grid, [p.mm], radiusMm, within, input);
    let sum = 0;
    let n = 0;
    for (let v = 0; v < V; v++) {
      if (m[v] === 0) continue;
      const x = map[v]!;
      if (!Number.isFinite(x)) continue;
      sum += x;
      n++;
    }
    return { label: p.label, mm: [p.mm[0], p.mm[1], p.mm[2]], nVoxels: n, mean: n > 0 ? sum / n : NaN };
  });
}

/** Sphere radius of the §H EEG analysis. */
export const EEG_SPHERE_RADIUS_MM = 25;

/**
 * Per-electrode network values of §H: parse the 10–20 table (label,x,y,z; e.g.
 * fixtures/network/eeg_1020_mni.csv, Okamoto 2004 cortical projection points) and return
 * the mean map value in a 25 mm sphere (inclusive) around each electrode, restricted to
 * the brain mask — one row per electrode in the table's order.
 */
export function eegElectrodeValues(map: Float32Array, grid: GridGeometry, electrodeCsv: string, brainMask: Uint8Array, radiusMm = EEG_SPHERE_RADIUS_MM, source = 'electrodes'): SphereValue[] {
  const points = parsePointTable(electrodeCsv, source);
  return sphereMeans(map, grid, points, radiusMm, brainMask, source);
}

/**
 * Sphere-ROI comparison of two coordinate sets: the mean map value in a sphere of
 * `radiusMm` (inclusive rule, restricted to `within`) around each coordinate of set A and
 * of set B, then Welch's t-test of A vs B. A sphere with no usable voxel (mean NaN) is
 * refused with InvalidParameter naming it, since dropping it silently would change n.
 */
export function sphereRoiWelch(
  map: Float32Array,
  grid: GridGeometry,
  setA: readonly NamedPoint[],
  setB: readonly NamedPoint[],
  radiusMm: number,
  within?: Uint8Array,
  input = 'spheres',
): { a: SphereValue[]; b: SphereValue[]; test: WelchTTest } {
  const a = sphereMeans(map, grid, setA, radiusMm, within, `${input}.a`);
  const b = sphereMeans(map, grid, setB, radiusMm, within, `${input}.b`);
  for (const [set, rows] of [['a', a], ['b', b]] as const) {
    const bad = rows.find((r) => r.nVoxels === 0);
    if (bad) throw new InvalidParameter(`sphere "${bad.label}" (${bad.mm.join(', ')}) of set ${set} holds no voxel of the map inside the mask`, `${input}.${set}`);
  }
  return { a, b, test: welchTTest(a.map((r) => r.mean), b.map((r) => r.mean), input) };
}
