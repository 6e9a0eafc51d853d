/**
 * Shared checks for maps on one voxel grid (x fastest, the NIfTI order) and the 0/1 mask
 * convention of the netmap validation statistics: masks are Uint8Array 0/1; grids are
 * {dims, affine (voxel → mm, row-major 4×4)} as in shared/volume/spheres.ts.
 */
import { InvalidParameter, SpaceMismatch } from '../errors.ts';
import type { GridGeometry } from '../volume/spheres.ts';

/** Throws SpaceMismatch unless `len` equals `n` (maps and masks must be on one voxel grid). */
export function assertSameLength(n: number, len: number, what: string, input: string): void {
  if (len !== n) throw new SpaceMismatch(`${what} has ${len} voxels; expected ${n} (the maps must be on one voxel grid)`, input);
}

/** Voxel count of a grid after checking its dimensions and affine. */
export function gridVoxelCount(grid: GridGeometry, input: string): number {
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
