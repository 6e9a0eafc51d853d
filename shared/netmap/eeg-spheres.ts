/**
 * 10–20 EEG electrode spheres of §H (Ji et al. 2025): the mean network value in a sphere of
 * 25 mm DIAMETER (12.5 mm radius) around each electrode's cortical projection point
 * (Okamoto et al. 2004, MNI), restricted to the brain mask. The diameter is configurable;
 * the radius used is diameter / 2 with the inclusive rule of shared/volume/spheres.ts
 * (voxel centres at distance ≤ radius).
 *
 * Earlier versions of this module used 25 mm as the radius (a 50 mm sphere, about eight
 * times the study's volume); the study's spheres are 25 mm across.
 */
import { InvalidParameter } from '../errors.ts';
import type { GridGeometry } from '../volume/spheres.ts';
import { parsePointTable } from './point-table.ts';
import { type SphereValue, sphereMeans } from './sphere-means.ts';

/** Sphere diameter of the §H EEG analysis (Ji et al. 2025): 25 mm, i.e. a 12.5 mm radius. */
export const EEG_SPHERE_DIAMETER_MM = 25;

/**
 * Per-electrode network values: parse the 10–20 table (label,x,y,z; the bundled
 * assets/netmap/eeg_1020_mni.csv holds Okamoto 2004's cortical projection points) and
 * return the mean map value in a sphere of `diameterMm` (default 25 mm; radius =
 * diameter / 2, inclusive) around each electrode, restricted to the brain mask — one row
 * per electrode in the table's order.
 */
export function eegElectrodeValues(
  map: Float32Array,
  grid: GridGeometry,
  electrodeCsv: string,
  brainMask: Uint8Array,
  diameterMm = EEG_SPHERE_DIAMETER_MM,
  source = 'electrodes',
): SphereValue[] {
  if (!(diameterMm > 0) || diameterMm > 1000) throw new InvalidParameter(`EEG sphere diameter must be in (0, 1000] mm, got ${diameterMm}`, source);
  const points = parsePointTable(electrodeCsv, source);
  return sphereMeans(map, grid, points, diameterMm / 2, brainMask, source);
}
