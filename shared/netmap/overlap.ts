/**
 * Network-mapping overlap statistics on finished t maps (ALGORITHMS.md §H).
 *
 * Each study's seed gives a one-sample t map across connectome subjects. The map is
 * binarised at ±T — positive where t > T, negative where t < −T, both comparisons strict,
 * so a voxel with t exactly equal to T is not counted (Lead-DBS's thresholded N-map uses
 * the same strict comparisons) and NaN never counts. T defaults to 5.1 (≈ voxelwise FWE
 * p < 0.01 in Ji et al. 2025). Across N studies the positive overlap is (number of studies
 * with t > T)/N, the negative overlap is (number with t < −T)/N, and the signed overlap
 * stored in the published IGE map is (pos count − neg count)/N, so every value is k/N for an
 * integer k in −N…N.
 */
import { InvalidParameter, SpaceMismatch } from '../errors.ts';

/** The study's binarisation threshold for seed t maps (t > 5.1 / t < −5.1). */
export const DEFAULT_T_THRESHOLD = 5.1;

function checkThreshold(threshold: number, input: string): void {
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new InvalidParameter(`t threshold must be a finite number ≥ 0 (the maps are binarised at t > T and t < −T), got ${threshold}`, input);
  }
}

/**
 * Binarise one t map at ±threshold: `pos[v] = 1` where t > threshold, `neg[v] = 1` where
 * t < −threshold (strict; NaN gives 0 in both). Output buffers may be passed in to avoid
 * allocation; they must have the map's length.
 */
export function binariseT(
  t: Float32Array,
  threshold = DEFAULT_T_THRESHOLD,
  out?: { pos: Uint8Array; neg: Uint8Array },
  input = 'tMap',
): { pos: Uint8Array; neg: Uint8Array } {
  checkThreshold(threshold, input);
  const n = t.length;
  const pos = out?.pos ?? new Uint8Array(n);
  const neg = out?.neg ?? new Uint8Array(n);
  if (pos.length !== n || neg.length !== n) throw new SpaceMismatch(`output buffers have ${pos.length}/${neg.length} voxels; the t map has ${n}`, input);
  const lo = -threshold;
  for (let v = 0; v < n; v++) {
    const x = t[v]!;
    pos[v] = x > threshold ? 1 : 0;
    neg[v] = x < lo ? 1 : 0;
  }
  return { pos, neg };
}

/** Overlap maps across studies. */
export interface OverlapMaps {
  /** number of studies N */
  n: number;
  threshold: number;
  /** per voxel: number of studies with t > T */
  posCount: Uint16Array;
  /** per voxel: number of studies with t < −T */
  negCount: Uint16Array;
  /** posCount / N */
  pos: Float32Array;
  /** negCount / N */
  neg: Float32Array;
  /** (posCount − negCount) / N — the published map's encoding */
  signed: Float32Array;
}

/**
 * Streaming overlap: add the studies' t maps one at a time (the order does not matter:
 * counts are integers), then `result()`. Memory is two Uint16 counters per voxel, so up to
 * 65,535 studies.
 */
export class OverlapAccumulator {
  readonly nVox: number;
  readonly threshold: number;
  private readonly posCount: Uint16Array;
  private readonly negCount: Uint16Array;
  private studies = 0;

  constructor(nVox: number, threshold = DEFAULT_T_THRESHOLD, input = 'threshold') {
    if (!Number.isInteger(nVox) || nVox <= 0) throw new InvalidParameter(`voxel count must be a positive integer, got ${nVox}`, input);
    checkThreshold(threshold, input);
    this.nVox = nVox;
    this.threshold = threshold;
    this.posCount = new Uint16Array(nVox);
    this.negCount = new Uint16Array(nVox);
  }

  get n(): number {
    return this.studies;
  }

  /** Count one study's t map. */
  add(t: Float32Array, input = `tMaps[${this.studies}]`): void {
    if (t.length !== this.nVox) throw new SpaceMismatch(`${input} has ${t.length} voxels; the other t maps have ${this.nVox}`, input);
    if (this.studies >= 65535) throw new InvalidParameter('at most 65,535 studies can be overlapped', input);
    const thr = this.threshold;
    const lo = -thr;
    const pc = this.posCount;
    const nc = this.negCount;
    for (let v = 0; v < t.length; v++) {
      const x = t[v]!;
      if (x > thr) pc[v]!++;
      else if (x < lo) nc[v]!++;
    }
    this.studies++;
  }

  /** Overlap proportions; throws InvalidParameter when no study was added. */
  result(input = 'tMaps'): OverlapMaps {
    return overlapFromCounts(this.posCount, this.negCount, this.studies, this.threshold, input);
  }
}

/** Build the proportion maps from per-voxel counts (e.g. counts summed over shards). */
export function overlapFromCounts(posCount: Uint16Array, negCount: Uint16Array, n: number, threshold = DEFAULT_T_THRESHOLD, input = 'tMaps'): OverlapMaps {
  if (!Number.isInteger(n) || n <= 0) throw new InvalidParameter(`overlap needs at least one study, got ${n}`, input);
  if (posCount.length !== negCount.length) throw new SpaceMismatch(`positive and negative counts have ${posCount.length} and ${negCount.length} voxels`, input);
  const V = posCount.length;
  const pos = new Float32Array(V);
  const neg = new Float32Array(V);
  const signed = new Float32Array(V);
  for (let v = 0; v < V; v++) {
    const p = posCount[v]!;
    const q = negCount[v]!;
    if (p > n || q > n || p + q > n) throw new InvalidParameter(`voxel ${v}: counts ${p}+${q} exceed the ${n} studies`, input);
    pos[v] = p / n;
    neg[v] = q / n;
    signed[v] = (p - q) / n;
  }
  return { n, threshold, posCount, negCount, pos, neg, signed };
}

/**
 * Overlap of N studies' t maps at ±threshold (see the module comment). All maps must have
 * the same voxel count (the caller checks the grids with assertSameSpace).
 */
export function overlapMaps(tMaps: readonly Float32Array[], threshold = DEFAULT_T_THRESHOLD, input = 'tMaps'): OverlapMaps {
  if (tMaps.length === 0) throw new InvalidParameter('overlap needs at least one study t map', input);
  const acc = new OverlapAccumulator(tMaps[0]!.length, threshold, input);
  tMaps.forEach((t, i) => acc.add(t, `${input}[${i}]`));
  return acc.result(input);
}

/**
 * Decode a signed-overlap map stored as float32 (value = k/N): k = round(value·N) per voxel,
 * with the largest |value − k/N| seen (float32 storage gives ≤ about 6e-8). Non-finite
 * values are refused. Useful to check that a published map really has the k/N encoding.
 */
export function decodeSignedOverlap(map: Float32Array, nStudies: number, input = 'overlapMap'): { k: Int32Array; maxError: number } {
  if (!Number.isInteger(nStudies) || nStudies <= 0) throw new InvalidParameter(`number of studies must be a positive integer, got ${nStudies}`, input);
  const k = new Int32Array(map.length);
  let maxError = 0;
  for (let v = 0; v < map.length; v++) {
    const x = map[v]!;
    if (!Number.isFinite(x)) throw new InvalidParameter(`voxel ${v} holds ${x}; an overlap map is finite`, input);
    const kk = Math.round(x * nStudies);
    k[v] = kk;
    const e = Math.abs(x - kk / nStudies);
    if (e > maxError) maxError = e;
  }
  return { k, maxError };
}
