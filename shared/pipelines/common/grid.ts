/** The voxel grid a job's maps share, as stored in its context. */
import type { NiftiHeader } from '../../nifti/index.ts';

/** The grid every map of a job shares (checked at validation). */
export interface Grid {
  dims: [number, number, number];
  affine: number[];
  pixdim: [number, number, number];
}

/** The grid of a header (pixdim as magnitudes). */
export function gridOf(h: NiftiHeader): Grid {
  return {
    dims: [h.dims[0]!, h.dims[1]!, h.dims[2]!],
    affine: Array.from(h.affine),
    pixdim: [Math.abs(h.pixdim[0]!), Math.abs(h.pixdim[1]!), Math.abs(h.pixdim[2]!)],
  };
}

