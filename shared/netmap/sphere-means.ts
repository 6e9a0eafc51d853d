/**
 * Mean map values in spheres around named points (inclusive rule of
 * shared/volume/spheres.ts) and the sphere-ROI Welch comparison of two point sets.
 */
import { InvalidParameter } from '../errors.ts';
import { type GridGeometry, sphereMask } from '../volume/spheres.ts';
import { assertSameLength as sameLength, gridVoxelCount as gridSize } from './map-grid.ts';
import type { NamedPoint } from './point-table.ts';
import { type WelchTTest, welchTTest } from './welch-t-test.ts';

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
