/**
 * The DBS network against an external network map (Ji et al. 2025: the DBS network
 * correlated with the IGE network, merged into a convergent network whose thalamic peak is
 * compared with published sweet spots): Pearson and Spearman r over the mask, the
 * convergent map (mean of the two maps' z-scores over the mask, shared/netmap/dbs.ts), and
 * optionally the convergent map's peak within a region (e.g. AAL thalamus) with its distance
 * to each sweet spot.
 */
import type { GridGeometry } from '../volume/spheres.ts';
import { convergentMap } from './dbs.ts';
import type { NamedPoint } from './point-table.ts';
import { spatialCorrelation } from './spatial-correlation.ts';
import { peakToSweetSpots, type SweetSpotDistance } from './sweet-spot.ts';
import type { Peak } from './peaks.ts';

export interface DbsExternalComparison {
  n: number;
  pearson: number;
  spearman: number;
  convergent: Float32Array;
  regionPeak?: Peak;
  sweetSpots?: SweetSpotDistance[];
}

export function compareDbsWithExternal(
  dbs: Float32Array,
  external: Float32Array,
  grid: GridGeometry,
  mask: Uint8Array,
  opts: { region?: Uint8Array; sweetSpots?: readonly NamedPoint[] } = {},
  input = 'dbs',
): DbsExternalComparison {
  const p = spatialCorrelation(dbs, external, { mask, method: 'pearson' }, input);
  const s = spatialCorrelation(dbs, external, { mask, method: 'spearman' }, input);
  const convergent = convergentMap([dbs, external], mask, {}, input).map;
  const out: DbsExternalComparison = { n: p.n, pearson: p.r, spearman: s.r, convergent };
  if (opts.region) {
    const region = Uint8Array.from(opts.region, (x, v) => (x && mask[v] ? 1 : 0));
    const r = peakToSweetSpots(convergent, grid, region, opts.sweetSpots ?? [], {}, `${input}.convergent`);
    out.regionPeak = r.peak;
    if (opts.sweetSpots) out.sweetSpots = r.distances;
  }
  return out;
}
