import { smoothSpm } from '../volume/smooth.ts';
import { maskStats, mReho, zReho } from './kcc.ts';
import type { MaskStats } from './kcc.ts';

export type ZOrder = 'zThenSmooth' | 'smoothThenZ';

export interface SubjectMaps {
  reho: Float32Array;
  mreho: Float32Array;
  zreho: Float32Array;
  /** smoothed z map (order as requested); equals zreho when fwhm = 0 */
  szreho: Float32Array;
  stats: MaskStats;
}

/**
 * Derived subject maps. zThenSmooth (DPARSF): szReHo = smooth(zReHo) over the whole volume.
 * smoothThenZ (the study's text): szReHo = z-score of smooth(ReHo) over the mask (0 outside).
 */
export function subjectMaps(
  reho: Float32Array,
  mask: ArrayLike<number>,
  dims: readonly [number, number, number],
  voxMm: readonly [number, number, number],
  fwhmMm: number,
  order: ZOrder,
): SubjectMaps {
  const stats = maskStats(reho, mask);
  const mreho = mReho(reho, mask, stats);
  const zreho = zReho(reho, mask, stats);
  let szreho: Float32Array;
  if (fwhmMm <= 0) szreho = Float32Array.from(zreho);
  else if (order === 'zThenSmooth') szreho = smoothSpm(zreho, dims, voxMm, fwhmMm);
  else szreho = zReho(smoothSpm(reho, dims, voxMm, fwhmMm), mask);
  return { reho, mreho, zreho, szreho, stats };
}
