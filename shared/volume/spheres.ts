/**
 * Spherical regions of interest on a voxel grid (network-mapping seeds, EEG electrode
 * spheres). A voxel belongs to a sphere when the distance from its centre (in mm, through
 * the grid's affine) to the sphere's centre is ≤ the radius — inclusive, so on a 3 mm grid
 * a 3 mm radius holds the centre voxel and its 6 face neighbours (7 voxels), where a strict
 * < would hold 1. Several centres give the union of their spheres.
 */
import { InvalidCoordinates, InvalidParameter } from '../errors.ts';
import { mmToVoxel, voxelToMm } from '../nifti/affine.ts';

export interface GridGeometry {
  dims: readonly [number, number, number];
  /** voxel → mm, 4×4 row-major */
  affine: ArrayLike<number>;
}

/** Relative slack on the radius so that voxels exactly on the sphere survive floating-point round-off. */
const ON_SURFACE = 1e-9;

/**
 * Union of spheres of `radiusMm` around `centresMm` as a 0/1 mask (x fastest).
 * `within` (optional) restricts the result (e.g. to a brain mask). Centres outside the
 * grid are allowed (their in-grid part counts); non-finite centres or radii are refused.
 */
export function sphereMask(grid: GridGeometry, centresMm: readonly (readonly [number, number, number])[], radiusMm: number, within?: Uint8Array, input = 'spheres'): Uint8Array {
  const [nx, ny, nz] = grid.dims;
  const N = nx * ny * nz;
  if (!(radiusMm >= 0) || !Number.isFinite(radiusMm)) throw new InvalidParameter(`sphere radius must be a finite number ≥ 0 mm, got ${radiusMm}`, input);
  if (within && within.length !== N) throw new InvalidParameter(`restricting mask has ${within.length} voxels; the grid has ${N}`, input);
  const affine = Float64Array.from(grid.affine);
  const out = new Uint8Array(N);
  const r2 = radiusMm * radiusMm * (1 + ON_SURFACE);
  // voxel extent of the radius along each axis (columns of the affine)
  const step = [0, 1, 2].map((c) => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!));
  centresMm.forEach((c, ci) => {
    if (!c.every(Number.isFinite)) throw new InvalidCoordinates(`centre ${ci + 1} (${c.join(', ')}) is not a finite MNI coordinate`, input);
    const [ci0, cj0, ck0] = mmToVoxel(affine, c[0], c[1], c[2]);
    const span = step.map((s) => Math.ceil(radiusMm / s!) + 1);
    for (let k = Math.max(0, Math.floor(ck0 - span[2]!)); k <= Math.min(nz - 1, Math.ceil(ck0 + span[2]!)); k++) {
      for (let j = Math.max(0, Math.floor(cj0 - span[1]!)); j <= Math.min(ny - 1, Math.ceil(cj0 + span[1]!)); j++) {
        for (let i = Math.max(0, Math.floor(ci0 - span[0]!)); i <= Math.min(nx - 1, Math.ceil(ci0 + span[0]!)); i++) {
          const [x, y, z] = voxelToMm(affine, i, j, k);
          const d2 = (x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2;
          const g = i + nx * (j + ny * k);
          if (d2 <= r2 && (!within || within[g] !== 0)) out[g] = 1;
        }
      }
    }
  });
  return out;
}
