/**
 * Distance from a network's peak within an atlas region (e.g. the thalamus) to published
 * DBS sweet-spot coordinates (Ji et al. 2025 compare the convergent network's thalamic peak
 * with sweet spots). Euclidean distance in mm between the peak voxel's centre and each
 * sweet spot; with tied peak voxels, the distance from the first (lowest index) and the
 * smallest over all ties are both given.
 */
import type { GridGeometry } from '../volume/spheres.ts';
import { findPeak, type Peak } from './peaks.ts';
import type { NamedPoint } from './point-table.ts';

export interface SweetSpotDistance {
  label: string;
  mm: [number, number, number];
  /** from the first peak voxel */
  distanceMm: number;
  /** smallest over the tied peak voxels */
  minDistanceMm: number;
}

export function peakToSweetSpots(
  map: Float32Array,
  grid: GridGeometry,
  region: Uint8Array | undefined,
  spots: readonly NamedPoint[],
  opts: { mode?: 'max' | 'min' } = {},
  input = 'map',
): { peak: Peak; distances: SweetSpotDistance[] } {
  const peak = findPeak(map, grid, { mask: region, mode: opts.mode ?? 'max' }, input);
  const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
  const distances = spots.map((s) => ({
    label: s.label,
    mm: [s.mm[0], s.mm[1], s.mm[2]] as [number, number, number],
    distanceMm: dist(peak.voxels[0]!.mm, s.mm),
    minDistanceMm: Math.min(...peak.voxels.map((v) => dist(v.mm, s.mm))),
  }));
  return { peak, distances };
}
