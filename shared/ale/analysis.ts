/** The observed ALE analysis of one coordinate set: MA, ALE, histogram null, p, z, cluster-forming threshold. */
import type { AleGrid, CoordinateToVoxel, SparseMa } from './ale.ts';
import { computeAle, computeMaMaps, fociToVoxels } from './ale.ts';
import type { AleKernel } from './kernel.ts';
import { kernelsFor } from './kernel.ts';
import type { AleNull } from './null.ts';
import { aleNull, aleP, clusterFormingAle, pToZ } from './null.ts';

export interface ExperimentInput {
  id: string;
  sampleSize: number;
  foci: number[][];
}

export interface ObservedAle {
  ijk: Int32Array[];
  kernels: AleKernel[];
  ma: SparseMa[];
  /** full grid, 0 outside the mask */
  ale: Float64Array;
  nul: AleNull;
  /** full grid; 1 outside the mask */
  p: Float64Array;
  z: Float64Array;
  clusterFormingAle: number;
}

/** Foci in voxels, kernels and MA maps of each experiment. */
export function observeMa(grid: AleGrid, experiments: readonly ExperimentInput[], mode: CoordinateToVoxel): Pick<ObservedAle, 'ijk' | 'kernels' | 'ma'> {
  const ijk = experiments.map((e) => fociToVoxels(e.foci, grid.affine, mode));
  const kernels = kernelsFor(experiments.map((e) => e.sampleSize), grid.voxelMm);
  return { ijk, kernels, ma: computeMaMaps(grid, ijk, kernels) };
}

/** Voxel p (histogram null) and z of an ALE map: full grid, p 1 and z 0 outside the mask. */
export function aleStatMaps(grid: AleGrid, ale: Float64Array, nul: AleNull): { p: Float64Array; z: Float64Array } {
  const n = ale.length;
  const p = new Float64Array(n).fill(1);
  const z = new Float64Array(n);
  for (const v of grid.maskIndex) {
    p[v] = aleP(nul, ale[v]!);
    z[v] = pToZ(p[v]!);
  }
  return { p, z };
}

export function observeAle(grid: AleGrid, experiments: readonly ExperimentInput[], mode: CoordinateToVoxel, clusterFormingP: number): ObservedAle {
  const { ijk, kernels, ma } = observeMa(grid, experiments, mode);
  const ale = computeAle(grid, ma);
  const nul = aleNull(ma, grid.maskIndex.length);
  return { ijk, kernels, ma, ale, nul, ...aleStatMaps(grid, ale, nul), clusterFormingAle: clusterFormingAle(nul, clusterFormingP) };
}
