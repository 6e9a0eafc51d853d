/**
 * Group tests of a network map's values in regions of interest (Ji et al. 2025 validation):
 *
 * - study-level ROI tests: each study's ROI is the union of spheres around its coordinates
 *   (e.g. EEG-fMRI studies of generalized vs focal epilepsies); the mean map value per ROI;
 * - lesion-mask group tests: the mean map value within each lesion mask (voxels with a
 *   finite, non-zero mask value; e.g. epilepsy-associated vs other lesions);
 *
 * then two groups compared by Welch's t-test and by a label-exchange permutation test of
 * the Welch t (two-sided, |t_k| ≥ |t_obs|): permutation k draws a uniformly random split of
 * the pooled values from stream(seed, k); p = (1 + hits)/(1 + nPermutations). With few
 * values, `exact` enumerates every split (C(nA + nB, nA) ≤ 1e6): p = hits / splits, the
 * observed split included.
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { stream } from '../random.ts';
import { type GridGeometry, sphereMask } from '../volume/spheres.ts';
import { assertSameLength, gridVoxelCount } from './map-grid.ts';
import { type WelchTTest, welchTTest } from './welch-t-test.ts';

export interface RoiValue {
  name: string;
  voxels: number;
  mean: number;
}

/** Mean finite map value over the voxels where `roi` is set; NaN for none. */
function roiMean(map: Float32Array, roi: ArrayLike<number>): { voxels: number; mean: number } {
  let s = 0;
  let n = 0;
  for (let v = 0; v < map.length; v++) {
    const w = roi[v]!;
    if (w === 0 || !Number.isFinite(w)) continue;
    const x = map[v]!;
    if (!Number.isFinite(x)) continue;
    s += x;
    n++;
  }
  return { voxels: n, mean: n > 0 ? s / n : NaN };
}

/** Per study: mean map value over the union of its spheres (radius = diameter / 2, inclusive), restricted to `within`. */
export function studyRoiValues(
  map: Float32Array,
  grid: GridGeometry,
  studies: readonly { study: string; coords: readonly (readonly [number, number, number])[] }[],
  diameterMm: number,
  within?: Uint8Array,
  input = 'roiTests',
): RoiValue[] {
  const N = gridVoxelCount(grid, input);
  assertSameLength(N, map.length, 'the map', input);
  if (!(diameterMm > 0) || diameterMm > 200) throw new InvalidParameter(`sphere diameter must be in (0, 200] mm, got ${diameterMm}`, input);
  return studies.map((s) => {
    if (s.coords.length === 0) throw new EmptyData(`study "${s.study}" has no coordinates`, input);
    const m = roiMean(map, sphereMask(grid, s.coords, diameterMm / 2, within, `${input} (${s.study})`));
    if (m.voxels === 0) throw new EmptyData(`study "${s.study}"'s spheres hold no voxel of the map inside the mask`, input);
    return { name: s.study, ...m };
  });
}

/** Per lesion mask: mean map value over its voxels (finite, non-zero mask values). */
export function maskValues(map: Float32Array, masks: readonly { name: string; data: ArrayLike<number> }[], input = 'lesions'): RoiValue[] {
  return masks.map((k, i) => {
    assertSameLength(map.length, k.data.length, `mask ${k.name}`, `${input}[${i}]`);
    const m = roiMean(map, k.data);
    if (m.voxels === 0) throw new EmptyData(`mask "${k.name}" holds no voxel with a map value`, `${input}[${i}]`);
    return { name: k.name, ...m };
  });
}

export interface TwoGroupTest {
  welch: WelchTTest;
  permutation: { p: number; permutations: number; exact: boolean; seed?: number };
}

function welchT(pool: Float64Array, inA: Uint8Array, nA: number): number {
  let sa = 0;
  let sb = 0;
  const nB = pool.length - nA;
  for (let i = 0; i < pool.length; i++) inA[i] ? (sa += pool[i]!) : (sb += pool[i]!);
  const ma = sa / nA;
  const mb = sb / nB;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < pool.length; i++) inA[i] ? (va += (pool[i]! - ma) ** 2) : (vb += (pool[i]! - mb) ** 2);
  const se2 = va / (nA - 1) / nA + vb / (nB - 1) / nB;
  return se2 > 0 ? (ma - mb) / Math.sqrt(se2) : NaN;
}

/** Welch t-test and permutation p of group A vs group B (values per ROI or mask). */
export function twoGroupTest(a: readonly number[], b: readonly number[], opts: { permutations?: number; seed?: number; exact?: boolean } = {}, input = 'groups'): TwoGroupTest {
  const welch = welchTTest(a, b, input);
  const nA = a.length;
  const pool = Float64Array.from([...a, ...b]);
  const n = pool.length;
  const obs = Math.abs(welch.t);
  const tol = 1e-12 * Math.max(1, obs);
  const inA = new Uint8Array(n);
  if (opts.exact) {
    let c = 1;
    for (let i = 1; i <= nA; i++) c = (c * (n - nA + i)) / i;
    if (Math.round(c) > 1_000_000) throw new InvalidParameter(`${Math.round(c)} splits are too many to enumerate (limit 1,000,000)`, input);
    const pos = Int32Array.from({ length: nA }, (_, i) => i);
    let hits = 0;
    let total = 0;
    for (;;) {
      inA.fill(0);
      for (const p of pos) inA[p] = 1;
      const t = Math.abs(welchT(pool, inA, nA));
      if (t >= obs - tol) hits++;
      total++;
      let i = nA - 1;
      while (i >= 0 && pos[i] === n - nA + i) i--;
      if (i < 0) break;
      pos[i]!++;
      for (let j = i + 1; j < nA; j++) pos[j] = pos[j - 1]! + 1;
    }
    return { welch, permutation: { p: Number.isNaN(obs) ? NaN : hits / total, permutations: total, exact: true } };
  }
  const P = opts.permutations ?? 10_000;
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(P) || P < 1 || P > 10_000_000) throw new InvalidParameter(`permutations must be an integer in 1…10,000,000, got ${P}`, input);
  const perm = new Int32Array(n);
  let hits = 0;
  for (let k = 0; k < P; k++) {
    const rng = stream(seed, k);
    for (let i = 0; i < n; i++) perm[i] = i;
    inA.fill(0);
    for (let i = 0; i < nA; i++) {
      const j = i + rng.int(n - i);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
      inA[perm[i]!] = 1;
    }
    if (Math.abs(welchT(pool, inA, nA)) >= obs - tol) hits++;
  }
  return { welch, permutation: { p: Number.isNaN(obs) ? NaN : (1 + hits) / (1 + P), permutations: P, exact: false, seed } };
}
