/**
 * DBS network maps of §H (Ji et al. 2025): the outcome-weighted mean of per-patient seed
 * maps (each patient's VAT → seed-to-voxel map), and the convergent network = the mean of
 * z-scored maps. Pure functions on typed arrays; maps share one voxel grid (the caller
 * checks grids with assertSameSpace); accumulation in float64, output float32.
 */
import { EmptyData, InvalidParameter, SpaceMismatch } from '../errors.ts';

/**
 * How {@link weightedMeanMap} divides Σ wᵢ·mᵢ:
 * - 'sum'  — by Σ wᵢ (the weighted mean; default). Requires Σ wᵢ > 0.
 * - 'abs'  — by Σ |wᵢ|. Equals 'sum' when no weight is negative.
 * - 'none' — no division: Σ wᵢ·mᵢ, exactly Lead-DBS's network-mapping "Weighted Average
 *   (Horn 2017)" A-map (ea_networkmapping_calcstats: nansum over patients of map × improvement).
 */
export type WeightNormalisation = 'sum' | 'abs' | 'none';

function checkMaps(maps: readonly Float32Array[], input: string): number {
  if (maps.length === 0) throw new InvalidParameter('at least one map is needed', input);
  const V = maps[0]!.length;
  if (V === 0) throw new EmptyData('the maps have no voxels', input);
  maps.forEach((m, i) => {
    if (m.length !== V) throw new SpaceMismatch(`${input}[${i}] has ${m.length} voxels; ${input}[0] has ${V} (the maps must be on one voxel grid)`, `${input}[${i}]`);
  });
  return V;
}

/**
 * DBS network: outcome-weighted mean of per-patient seed maps, weights = % seizure
 * reduction. Negative weights (patients who got worse) are used as given — they pull the
 * map the other way, as in Lead-DBS, where the A-map is Σ improvementᵢ × mapᵢ with no
 * re-signing or clipping. The default divides by Σ wᵢ (Lead-DBS divides by nothing; the
 * two differ only by the positive factor Σ wᵢ, so the spatial pattern, correlations and
 * peaks are identical); Σ wᵢ ≤ 0 is refused for 'sum' because the "mean" would flip sign.
 * Non-finite map values count as 0 (Lead-DBS's nansum). Weights must be finite.
 */
export function weightedMeanMap(
  maps: readonly Float32Array[],
  weights: readonly number[],
  opts: { normalise?: WeightNormalisation } = {},
  input = 'maps',
): Float32Array {
  const V = checkMaps(maps, input);
  const normalise = opts.normalise ?? 'sum';
  if (weights.length !== maps.length) throw new InvalidParameter(`${weights.length} weights for ${maps.length} maps; give one weight per patient`, 'weights');
  let sw = 0;
  let sa = 0;
  weights.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new InvalidParameter(`weight ${i} is ${w}; weights (% seizure reduction) must be finite`, 'weights');
    sw += w;
    sa += Math.abs(w);
  });
  let div: number;
  if (normalise === 'sum') {
    if (!(sw > 0)) throw new InvalidParameter(`the weights sum to ${sw}; a weighted mean needs a positive sum (use normalise 'abs' or 'none')`, 'weights');
    div = sw;
  } else if (normalise === 'abs') {
    if (!(sa > 0)) throw new InvalidParameter('all weights are 0', 'weights');
    div = sa;
  } else if (normalise === 'none') div = 1;
  else throw new InvalidParameter(`normalise must be 'sum', 'abs' or 'none', got ${String(normalise)}`, 'normalise');
  const acc = new Float64Array(V);
  maps.forEach((m, i) => {
    const w = weights[i]!;
    if (w === 0) return;
    for (let v = 0; v < V; v++) {
      const x = m[v]!;
      if (Number.isFinite(x)) acc[v] += w * x;
    }
  });
  const out = new Float32Array(V);
  for (let v = 0; v < V; v++) out[v] = acc[v]! / div;
  return out;
}

/**
 * Z-score a map over the voxels where `mask` is set and the value is finite:
 * z = (x − mean)/sd with sd = √(Σ(x − mean)²/(n − ddof)); ddof = 1 by default (MATLAB's
 * zscore, the study's toolchain), 0 for the population sd (scipy's default). Voxels outside
 * the mask or non-finite get 0. Throws EmptyData for an empty mask and InvalidParameter
 * when the map is constant over the mask (z undefined) or n ≤ ddof.
 */
export function zScoreMap(map: Float32Array, mask: Uint8Array, opts: { ddof?: 0 | 1 } = {}, input = 'map'): { z: Float32Array; mean: number; sd: number; n: number } {
  const V = map.length;
  if (mask.length !== V) throw new SpaceMismatch(`the mask has ${mask.length} voxels; ${input} has ${V}`, input);
  const ddof = opts.ddof ?? 1;
  if (ddof !== 0 && ddof !== 1) throw new InvalidParameter(`ddof must be 0 or 1, got ${String(ddof)}`, input);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let v = 0; v < V; v++) {
    if (mask[v] === 0) continue;
    const x = map[v]!;
    if (!Number.isFinite(x)) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  if (n === 0) throw new EmptyData(`${input} has no finite value inside the mask`, input);
  if (n <= ddof) throw new InvalidParameter(`${input} has ${n} voxel(s) inside the mask; a z-score needs more than ${ddof}`, input);
  const sd = Math.sqrt(m2 / (n - ddof));
  if (!(sd > 0)) throw new InvalidParameter(`${input} is constant over the mask; its z-scores are undefined`, input);
  const z = new Float32Array(V);
  const inv = 1 / sd;
  for (let v = 0; v < V; v++) {
    if (mask[v] === 0) continue;
    const x = map[v]!;
    if (Number.isFinite(x)) z[v] = (x - mean) * inv;
  }
  return { z, mean, sd, n };
}

/**
 * Convergent network: the mean over maps of their z-scores (each map z-scored over the
 * mask, {@link zScoreMap}; 0 outside the mask and at non-finite voxels). Returns the map and
 * each input map's mean and sd used. Maps of different lengths → SpaceMismatch.
 */
export function convergentMap(
  maps: readonly Float32Array[],
  mask: Uint8Array,
  opts: { ddof?: 0 | 1 } = {},
  input = 'maps',
): { map: Float32Array; means: Float64Array; sds: Float64Array } {
  const V = checkMaps(maps, input);
  if (mask.length !== V) throw new SpaceMismatch(`the mask has ${mask.length} voxels; the maps have ${V}`, input);
  const acc = new Float64Array(V);
  const means = new Float64Array(maps.length);
  const sds = new Float64Array(maps.length);
  maps.forEach((m, i) => {
    const r = zScoreMap(m, mask, opts, `${input}[${i}]`);
    means[i] = r.mean;
    sds[i] = r.sd;
    const z = r.z;
    for (let v = 0; v < V; v++) acc[v] += z[v]!;
  });
  const out = new Float32Array(V);
  const k = maps.length;
  for (let v = 0; v < V; v++) out[v] = acc[v]! / k;
  return { map: out, means, sds };
}
