/**
 * Conjunction (overlap) of two result maps on the same grid, e.g. a GMV and a ReHo `_grf`
 * z map (which are 0 outside their surviving clusters):
 *
 * - 'min-statistic' (default; Nichols et al. 2005): where both maps are non-zero with the
 *   same sign, sign·min(|a|, |b|); 0 elsewhere (voxels of opposite sign do not conjoin).
 * - 'both-nonzero': 1 where both maps are non-zero (any signs), 0 elsewhere.
 *
 * NaN counts as zero. The maps must already be on one grid: resample one onto the other by
 * nearest neighbour first when they differ (shared/volume/resample.ts). No voxel in common
 * → NoSpatialOverlap naming both inputs. `conjunctionClusters` labels the result's
 * clusters (positive and negative separately) with `findClusters`.
 */
import { InvalidParameter } from '../errors.ts';
import { NoSpatialOverlap } from '../stats/cohort-errors.ts';
import { findClusters, type Cluster } from './clusters.ts';
import type { Connectivity } from './components.ts';

export type ConjunctionMode = 'min-statistic' | 'both-nonzero';

export interface ConjunctionResult {
  map: Float32Array;
  /** Voxels non-zero in the result. */
  voxels: number;
  /** Voxels non-zero in both inputs (any signs). */
  overlap: number;
}

export function conjunction(a: Float32Array, b: Float32Array, mode: ConjunctionMode = 'min-statistic', names: [string, string] = ['A', 'B']): ConjunctionResult {
  if (a.length !== b.length) {
    throw new InvalidParameter(`${names[0]} has ${a.length} voxels and ${names[1]} ${b.length}: resample them to one grid first`, names[1]);
  }
  if (mode !== 'min-statistic' && mode !== 'both-nonzero') throw new InvalidParameter(`unknown conjunction mode "${String(mode)}"`, 'mode');
  const map = new Float32Array(a.length);
  let voxels = 0;
  let overlap = 0;
  for (let v = 0; v < a.length; v++) {
    const x = a[v];
    const y = b[v];
    if (!(x !== 0 && y !== 0 && x === x && y === y)) continue;
    overlap++;
    if (mode === 'both-nonzero') {
      map[v] = 1;
      voxels++;
    } else if ((x > 0) === (y > 0)) {
      const m = Math.min(Math.abs(x), Math.abs(y));
      map[v] = x > 0 ? m : -m;
      voxels++;
    }
  }
  if (voxels === 0) {
    throw new NoSpatialOverlap(
      overlap === 0
        ? `${names[0]} and ${names[1]} have no non-zero voxel in common`
        : `${names[0]} and ${names[1]} overlap in ${overlap} voxels, but with opposite signs everywhere`,
      `${names[0]},${names[1]}`,
    );
  }
  return { map, voxels, overlap };
}

/** Clusters of a conjunction map (non-zero voxels; positive and negative separately), largest first, with voxel indices. */
export function conjunctionClusters(
  map: Float32Array,
  dims: readonly [number, number, number],
  connectivity: Connectivity = 26,
  minVoxels = 1,
): Array<Cluster & { tail: '+' | '-' }> {
  const pos = findClusters(map, dims, Number.MIN_VALUE, '+', connectivity, minVoxels, undefined, true).map((c) => ({ ...c, tail: '+' as const }));
  const neg = findClusters(map, dims, Number.MIN_VALUE, '-', connectivity, minVoxels, undefined, true).map((c) => ({ ...c, tail: '-' as const }));
  const all = [...pos, ...neg].sort((x, y) => y.voxels - x.voxels || Math.abs(y.peakValue) - Math.abs(x.peakValue) || x.peakIndex - y.peakIndex);
  return all.map((c, i) => ({ ...c, id: i + 1 }));
}
