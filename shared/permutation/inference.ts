/**
 * In-process permutation tests for other pipelines: a GLM contrast over compact
 * data, and the two common designs on top of it — two-sample "maps vs maps"
 * (network-mapping specificity: study maps of one set against a control set) and
 * one-sample sign flipping. Batches run here one after another; the glm pipeline
 * fans the same `runBatch` calls out as shards. Results are identical either way.
 */
import { InvalidParameter } from '../errors.ts';
import { normalQuantile, tToZ } from '../stats/distributions.ts';
import type { Connectivity } from '../volume/components.ts';
import { buildLattice, type Lattice } from './lattice.ts';
import { permutationModel, permutationModelF } from './model.ts';
import { planShuffles, shuffleSet, type ShuffleKind } from './shuffles.ts';
import { observe, poolBatches, runBatch, STATISTICS, type Observed, type PermutationSetup, type Statistic } from './engine.ts';
import { summarise, type PermutationSummary } from './summary.ts';
import type { TfceParams } from './tfce.ts';

export interface PermutationParams {
  /** permutations requested, identity included */
  n: number;
  seed: number;
  statistics: Statistic[];
  twoTailed: boolean;
  /** cluster-forming threshold as p (converted to z; two-tailed uses p/2 per tail) … */
  clusterFormingP?: number;
  /** … or as t (converted to z with the model's df) */
  clusterFormingT?: number;
  tfce: TfceParams;
  connectivity: Connectivity;
  /** permutations per batch; never changes a result */
  batchSize?: number;
  /** exchangeability block label per subject (permutations stay within blocks) */
  blocks?: string[];
}

export const PERMUTATION_CEILING = 1_000_000;

export function checkPermutationParams(p: PermutationParams, input = 'permutation'): void {
  if (!Number.isInteger(p.n) || p.n < 2) throw new InvalidParameter(`${input}.n must be an integer ≥ 2, got ${p.n}`, input);
  if (p.n > PERMUTATION_CEILING) throw new InvalidParameter(`${input}.n = ${p.n} is over the ceiling of ${PERMUTATION_CEILING} permutations`, input);
  for (const s of p.statistics) {
    if (!STATISTICS.includes(s)) throw new InvalidParameter(`unknown statistic "${String(s)}"; use ${STATISTICS.join(', ')}`, input);
  }
  if (p.clusterFormingP !== undefined && !(p.clusterFormingP > 0 && p.clusterFormingP < 1)) {
    throw new InvalidParameter(`${input}.clusterFormingP must be in (0, 1), got ${p.clusterFormingP}`, input);
  }
  if (p.clusterFormingT !== undefined && !(p.clusterFormingT > 0 && Number.isFinite(p.clusterFormingT))) {
    throw new InvalidParameter(`${input}.clusterFormingT must be a positive number, got ${p.clusterFormingT}`, input);
  }
  if (!(p.tfce.H > 0) || !(p.tfce.E > 0) || (p.tfce.dh !== undefined && !(p.tfce.dh > 0))) {
    throw new InvalidParameter(`${input}.tfce needs H > 0, E > 0 and dh > 0 when given`, input);
  }
  if (p.batchSize !== undefined && !(Number.isInteger(p.batchSize) && p.batchSize >= 1)) {
    throw new InvalidParameter(`${input}.batchSize must be a positive integer, got ${p.batchSize}`, input);
  }
}

/**
 * Cluster-forming threshold on the z scale. For an F-contrast (one-sided) the voxel p is
 * taken in the upper tail of F (z = Φ⁻¹(1 − p), the z of `fToZ`); a threshold given as t
 * means the z of that t with the model's df, as for a one-tailed t.
 */
export function clusterFormingZ(p: PermutationParams, dof: number): number {
  if (p.clusterFormingT !== undefined) return tToZ(p.clusterFormingT, dof);
  const alpha = p.clusterFormingP ?? 0.005;
  return normalQuantile(1 - (p.twoTailed ? alpha / 2 : alpha));
}

export interface GlmPermutationInput {
  /** design n × p row-major, contrast of length p */
  M: Float64Array;
  n: number;
  p: number;
  contrast: Float64Array;
  /** F-contrast rows (each of length p): when given, the test is the one-sided F of these rows (`contrast` is ignored) */
  fRows?: Float64Array[];
  kind: ShuffleKind;
  /** compact data n × V (subject-major) over the mask's voxels */
  Y: Float32Array;
  mask: Uint8Array;
  dims: [number, number, number];
}

export function permutationSetup(input: GlmPermutationInput, params: PermutationParams, lattice?: Lattice): PermutationSetup {
  checkPermutationParams(params);
  const lat = lattice ?? buildLattice(input.mask, input.dims, params.connectivity);
  const model = input.fRows ? permutationModelF(input.M, input.n, input.p, input.fRows, input.Y, lat.V) : permutationModel(input.M, input.n, input.p, input.contrast, input.Y, lat.V);
  // F is one-sided (PALM, randomise): no two-tailed option, clusters and TFCE on z from F
  const twoTailed = model.f ? false : params.twoTailed;
  if (model.f && model.f.rank > 1 && input.kind === 'flip') throw new InvalidParameter(`sign flipping cannot test an F-contrast of rank ${model.f.rank}; exchange labels instead`, 'kind');
  const set = input.kind === 'flip' ? shuffleSet('flip', model.interest, params.blocks) : shuffleSet('permute', input.M, params.blocks, input.p);
  const plan = planShuffles(set, params.n, params.seed);
  return {
    model,
    lattice: lat,
    plan,
    options: { statistics: params.statistics, twoTailed, clusterFormingZ: clusterFormingZ({ ...params, twoTailed }, model.dof), tfce: params.tfce },
  };
}

/** Batches [k0, k1) covering 0 … N−1. */
export function batchesOf(N: number, batchSize: number): { index: number; k0: number; k1: number }[] {
  const out: { index: number; k0: number; k1: number }[] = [];
  for (let k0 = 0, i = 0; k0 < N; k0 += batchSize, i++) out.push({ index: i, k0, k1: Math.min(N, k0 + batchSize) });
  return out;
}

export interface PermutationOutcome {
  setup: PermutationSetup;
  observed: Observed;
  summary: PermutationSummary;
}

export function permutationTest(input: GlmPermutationInput, params: PermutationParams): PermutationOutcome {
  const setup = permutationSetup(input, params);
  const observed = observe(setup);
  const N = setup.plan.count;
  const batches = batchesOf(N, params.batchSize ?? Math.max(1, Math.ceil(N / 8))).map((b) => runBatch(setup, b.k0, b.k1, observed));
  const pooled = poolBatches(batches, setup.lattice.V, N);
  return { setup, observed, summary: summarise(setup, observed, pooled) };
}

/** Gather the in-mask values of full-grid maps into a compact subject-major matrix. */
export function compactMaps(maps: Float32Array[], mask: Uint8Array): Float32Array {
  let V = 0;
  for (let g = 0; g < mask.length; g++) if (mask[g]) V++;
  const Y = new Float32Array(maps.length * V);
  maps.forEach((m, i) => {
    if (m.length !== mask.length) throw new InvalidParameter(`map ${i} has ${m.length} voxels; the mask has ${mask.length}`);
    let q = 0;
    for (let g = 0; g < mask.length; g++) {
      if (!mask[g]) continue;
      const x = m[g]!;
      if (!Number.isFinite(x)) throw new InvalidParameter(`map ${i} is not finite at voxel ${g} inside the mask`);
      Y[i * V + q++] = x;
    }
  });
  return Y;
}

/**
 * Two-sample test of maps A against maps B (A − B), same grid, voxels where mask ≠ 0.
 * Design: one indicator column per set; contrast [1, −1]; labels exchanged.
 */
export function mapsVsMaps(a: Float32Array[], b: Float32Array[], mask: Uint8Array, dims: [number, number, number], params: PermutationParams): PermutationOutcome {
  if (a.length < 2 || b.length < 2) throw new InvalidParameter(`each set needs at least 2 maps (got ${a.length} and ${b.length})`, 'maps');
  const n = a.length + b.length;
  const M = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) M[i * 2 + (i < a.length ? 0 : 1)] = 1;
  return permutationTest({ M, n, p: 2, contrast: Float64Array.of(1, -1), kind: 'permute', Y: compactMaps([...a, ...b], mask), mask, dims }, params);
}

/** One-sample test of mean > 0 (two-tailed: ≠ 0) by sign flipping. */
export function oneSampleMaps(maps: Float32Array[], mask: Uint8Array, dims: [number, number, number], params: PermutationParams): PermutationOutcome {
  if (maps.length < 2) throw new InvalidParameter(`a one-sample test needs at least 2 maps (got ${maps.length})`, 'maps');
  const n = maps.length;
  return permutationTest({ M: new Float64Array(n).fill(1), n, p: 1, contrast: Float64Array.of(1), kind: 'flip', Y: compactMaps(maps, mask), mask, dims }, params);
}
