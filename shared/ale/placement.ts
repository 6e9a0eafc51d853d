/**
 * Where each experiment's foci land on the analysis grid, before any map is made:
 *  - a focus with a non-finite coordinate (a Sleuth "1e999" reads as Infinity) or one so far
 *    off the grid that its voxel index is meaningless (beyond ±1e6 voxels) cannot be placed:
 *    it is dropped, and the drop is reported;
 *  - a focus on the grid but outside the mask (or off the grid but near it) is kept, as the
 *    ALE maps do (its kernel still reaches in-mask voxels, see ale.ts), and reported;
 *  - an experiment left without a focus, or a set none of whose foci lies inside the mask
 *    (a mask in another space, coordinates in the wrong units), is refused.
 */
import { EmptyData, InvalidCoordinates } from '../errors.ts';
import { fociToVoxels, type AleGrid, type CoordinateToVoxel } from './ale.ts';
import type { ExperimentInput } from './analysis.ts';
import { invertAffine } from '../nifti/affine.ts';

/** Voxel indices beyond this are treated as unplaceable (no kernel reaches the grid from there; Int32 would wrap). */
const FAR_VOXELS = 1e6;

export interface FociPlacement {
  /** the experiments with their unplaceable foci removed (same order) */
  experiments: ExperimentInput[];
  /** one line per experiment with dropped foci or foci outside the mask */
  warnings: string[];
  /** foci (kept) whose voxel lies inside the mask */
  inMask: number;
  /** foci kept outside the mask, and foci dropped */
  outsideMask: number;
  dropped: number;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Place every experiment's foci (`source` names the coordinate file, `maskField` the mask in messages). */
export function placeFoci(grid: AleGrid, experiments: readonly ExperimentInput[], mode: CoordinateToVoxel, source: string, maskField: string): FociPlacement {
  const [nx, ny, nz] = grid.dims;
  const warnings: string[] = [];
  let inMask = 0;
  let outsideMask = 0;
  let dropped = 0;
  const kept = experiments.map((e) => {
    const placeable = e.foci.filter((p) => p.length === 3 && p.every((x) => Number.isFinite(x)));
    // the voxel index in double precision first: fociToVoxels writes Int32, which would wrap a far-away focus onto the grid
    const inv = fociToVoxelsUnclamped(placeable, grid.affine);
    const foci = placeable.filter((_, n) => inv[n]!.every((x) => Math.abs(x) <= FAR_VOXELS));
    const nDropped = e.foci.length - foci.length;
    const ijk = fociToVoxels(foci, grid.affine, mode);
    let out = 0;
    for (let f = 0; f < foci.length; f++) {
      const [i, j, k] = [ijk[f * 3]!, ijk[f * 3 + 1]!, ijk[f * 3 + 2]!];
      const on = i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz;
      if (on && grid.mask[i + nx * (j + ny * k)]) inMask++;
      else out++;
    }
    outsideMask += out;
    dropped += nDropped;
    if (nDropped > 0) warnings.push(`${source}: experiment "${e.id}": ${plural(nDropped, 'focus', 'foci')} of ${e.foci.length} dropped (a non-finite coordinate such as 1e999, or more than ${FAR_VOXELS} voxels off the grid)`);
    if (out > 0) warnings.push(`${source}: experiment "${e.id}": ${plural(out, 'focus lies', 'foci lie')} outside ${maskField} (of ${foci.length}; kept, their kernels still reach in-mask voxels)`);
    if (foci.length === 0) throw new InvalidCoordinates(`${source}: experiment "${e.id}" has no focus that can be placed on the grid (all ${e.foci.length} dropped)`, source);
    return { ...e, foci };
  });
  if (inMask === 0) {
    throw new EmptyData(`none of the ${outsideMask} foci of ${source} lies inside ${maskField} (is the mask in MNI space, and are the coordinates in mm?)`, maskField);
  }
  return { experiments: kept, warnings, inMask, outsideMask, dropped };
}

/** mm -> fractional voxel coordinates through the inverse affine (no rounding, no Int32 conversion). */
function fociToVoxelsUnclamped(foci: readonly (readonly number[])[], affine: Float64Array): number[][] {
  const inv = invertAffine(affine);
  return foci.map((p) => [0, 1, 2].map((r) => inv[r * 4]! * p[0]! + inv[r * 4 + 1]! * p[1]! + inv[r * 4 + 2]! * p[2]! + inv[r * 4 + 3]!));
}
