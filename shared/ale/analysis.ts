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

export function observeAle(grid: AleGrid, experiments: readonly ExperimentInput[], mode: CoordinateToVoxel, clusterFormingP: number): ObservedAle {
  const ijk = experiments.map((e) => fociToVoxels(e.foci, grid.affine, mode));
  const kernels = kernelsFor(experiments.map((e) => e.sampleSize), grid.voxelMm);
  const ma = computeMaMaps(grid, ijk, kernels);
  const ale = computeAle(grid, ma);
  const nul = aleNull(ma, grid.maskIndex.length);
  const n = ale.length;
  const p = new Float64Array(n).fill(1);
  const z = new Float64Array(n);
  for (const v of grid.maskIndex) {
    p[v] = aleP(nul, ale[v]!);
    z[v] = pToZ(p[v]!);
  }
  return { ijk, kernels, ma, ale, nul, p, z, clusterFormingAle: clusterFormingAle(nul, clusterFormingP) };
}
