/**
 * Parcellation of a NIfTI map by a label atlas: per region the mean, median and number of
 * voxels of the map's finite values.
 *
 * - The atlas may lie on another grid: it is resampled onto the map's grid by nearest neighbour
 *   through the affines ({@link resampleNearest}); the map's values are never interpolated. The
 *   resampling is recorded in the result.
 * - Voxels whose map value is not finite (NaN, ±Inf) never count. With `ignoreZeros` map values of
 *   exactly 0 are dropped too (a statistic map is 0 outside its analysis mask).
 * - Hemisphere: given per label (`hemispheres`), else from the region name (`L_`/`R_`, `lh`/`rh`, `Left`/`Right`, `_L`/`_R`, `.L`/`.R`)
 *   or, when the name says nothing, from the sign of the region's mean x in mm (x < 0 = left).
 * - Empty regions: every region of the label table (or, with none given, every non-zero label of the
 *   atlas) gets a row. A region with fewer than `minVoxels` counted voxels (default 1; none at all on
 *   the map's grid is the same case) has mean and median NaN and status `empty` (0 voxels) or
 *   `too-small`; callers drop such regions and report them. A label present in the atlas but absent
 *   from a given label table is counted in `unlabelledVoxels` and not reported as a region.
 */
import { NeuroburstError } from '../errors.ts';
import type { LabelTable } from './atlas-labels.ts';
import { type Grid, resampleNearest } from './resample.ts';

export type Hemisphere = 'L' | 'R' | 'B';

export interface ParcellateOptions {
  /** Label value → region name; default every non-zero atlas value, named by its number. */
  labels?: LabelTable;
  /** Hemisphere per label when known (e.g. from an atlas info table, 'B' = bilateral/midline); overrides the name rule. */
  hemispheres?: ReadonlyMap<number, Hemisphere>;
  /** Keep only regions of this hemisphere: 'left', 'right' or 'both' (default). */
  hemisphere?: 'left' | 'right' | 'both';
  /** Regions with fewer counted voxels get NaN and status `too-small` (default 1). */
  minVoxels?: number;
  /** Drop map voxels equal to 0 (default false). */
  ignoreZeros?: boolean;
  /** Names for errors. */
  mapInput?: string;
  atlasInput?: string;
}

export interface RegionSummary {
  label: number;
  name: string;
  hemi: Hemisphere;
  /** Atlas voxels of this label on the map's grid. */
  atlasVoxels: number;
  /** Voxels counted (finite map value, and non-zero with ignoreZeros). */
  nVoxels: number;
  mean: number;
  median: number;
  status: 'ok' | 'empty' | 'too-small';
}

export interface ParcellationResult {
  regions: RegionSummary[];
  /** How the atlas was brought to the map's grid. */
  resampling: { method: 'none' | 'nearest'; atlasVoxelsInside: number; mapVoxelsOutsideAtlas: number };
  /** Map-grid voxels whose atlas label is not in the label table. */
  unlabelledVoxels: number;
}

export interface LabelledVolume extends Grid {
  data: ArrayLike<number>;
}

/** Hemisphere from a region name, or undefined when the name does not say. */
export function hemisphereFromName(name: string): 'L' | 'R' | undefined {
  const s = name.trim();
  if (/^(L|lh|Left)([_.\-\s]|$)/i.test(s) || /^ctx[-_]lh[-_]/i.test(s)) return 'L';
  if (/^(R|rh|Right)([_.\-\s]|$)/i.test(s) || /^ctx[-_]rh[-_]/i.test(s)) return 'R';
  if (/[_.\-\s](L|lh|Left)$/i.test(s)) return 'L';
  if (/[_.\-\s](R|rh|Right)$/i.test(s)) return 'R';
  // Brainnetome-style "A8m_L" is covered above; "SFG_L_7_1" style: a lone L/R token inside
  const m = /(?:^|_)(L|R)(?:_|$)/.exec(s);
  if (m) return m[1] === 'L' ? 'L' : 'R';
  return undefined;
}

/** Lower median of even counts averaged: the usual median of a sorted slice. */
function medianOfSorted(a: Float64Array, lo: number, hi: number): number {
  const n = hi - lo;
  if (n === 0) return Number.NaN;
  const mid = lo + (n >> 1);
  return n % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

export function parcellate(map: LabelledVolume, atlas: LabelledVolume, opts: ParcellateOptions = {}): ParcellationResult {
  const minVoxels = opts.minVoxels ?? 1;
  if (!(Number.isInteger(minVoxels) && minVoxels >= 1)) {
    throw new NeuroburstError('InvalidParameter', `minVoxels must be an integer ≥ 1, got ${minVoxels}`, 'minVoxels');
  }
  const [nx, ny, nz] = [map.dims[0]!, map.dims[1] ?? 1, map.dims[2] ?? 1];
  const nV = nx * ny * nz;
  const rs = resampleNearest(atlas.data, atlas, map, { fill: 0, input: opts.atlasInput ?? 'atlas' });
  const lab = rs.data;

  // label value → dense index
  const given = opts.labels;
  const index = new Map<number, number>();
  const keys: number[] = [];
  if (given) {
    for (const k of [...given.keys()].sort((a, b) => a - b)) {
      index.set(k, keys.length);
      keys.push(k);
    }
  } else {
    const seen = new Set<number>();
    for (let i = 0; i < atlas.data.length && i < atlas.dims[0]! * (atlas.dims[1] ?? 1) * (atlas.dims[2] ?? 1); i++) {
      const v = atlas.data[i]!;
      if (v !== 0 && Number.isFinite(v)) seen.add(Math.round(v));
    }
    for (const k of [...seen].sort((a, b) => a - b)) {
      index.set(k, keys.length);
      keys.push(k);
    }
  }
  const R = keys.length;
  const atlasCount = new Int32Array(R);
  const count = new Int32Array(R);
  const sum = new Float64Array(R);
  const sumX = new Float64Array(R);
  const region = new Int32Array(nV).fill(-1);
  let unlabelled = 0;
  let outsideAtlas = 0;
  const a = map.affine;
  for (let k = 0, v = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, v++) {
    const l = lab[v]!;
    if (l === 0 || !Number.isFinite(l)) {
      outsideAtlas++;
      continue;
    }
    const r = index.get(Math.round(l));
    if (r === undefined) {
      unlabelled++;
      continue;
    }
    atlasCount[r]!++;
    sumX[r]! += a[0]! * i + a[1]! * j + a[2]! * k + a[3]!;
    const x = map.data[v]!;
    if (!Number.isFinite(x) || (opts.ignoreZeros && x === 0)) continue;
    region[v] = r;
    count[r]!++;
    sum[r]! += x;
  }
  // counting sort of values by region, then a sort per region for the median
  const start = new Int32Array(R + 1);
  for (let r = 0; r < R; r++) start[r + 1] = start[r]! + count[r]!;
  const fillAt = Int32Array.from(start.subarray(0, R));
  const vals = new Float64Array(start[R]!);
  for (let v = 0; v < nV; v++) {
    const r = region[v]!;
    if (r >= 0) vals[fillAt[r]!++] = map.data[v]!;
  }
  const want = opts.hemisphere ?? 'both';
  const regions: RegionSummary[] = [];
  for (let r = 0; r < R; r++) {
    const label = keys[r]!;
    const name = given?.get(label) ?? String(label);
    const hemi: Hemisphere = opts.hemispheres?.get(label) ?? hemisphereFromName(name) ?? (atlasCount[r]! > 0 ? (sumX[r]! / atlasCount[r]! < 0 ? 'L' : 'R') : 'B');
    if (want === 'left' && hemi !== 'L') continue;
    if (want === 'right' && hemi !== 'R') continue;
    const n = count[r]!;
    const seg = vals.subarray(start[r]!, start[r + 1]!);
    seg.sort();
    const ok = n >= minVoxels;
    regions.push({
      label,
      name,
      hemi,
      atlasVoxels: atlasCount[r]!,
      nVoxels: n,
      mean: ok ? sum[r]! / n : Number.NaN,
      median: ok ? medianOfSorted(vals, start[r]!, start[r + 1]!) : Number.NaN,
      status: ok ? 'ok' : n === 0 ? 'empty' : 'too-small',
    });
  }
  return {
    regions,
    resampling: { method: rs.identity ? 'none' : 'nearest', atlasVoxelsInside: rs.inside, mapVoxelsOutsideAtlas: outsideAtlas },
    unlabelledVoxels: unlabelled,
  };
}

/** `tables/regions.csv`: label, name, hemi, atlas_voxels, n_voxels, mean, median, status. */
export function regionsCsv(regions: readonly RegionSummary[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const num = (x: number) => (Number.isFinite(x) ? String(x) : 'NaN');
  const lines = ['label,name,hemi,atlas_voxels,n_voxels,mean,median,status'];
  for (const r of regions) lines.push([r.label, q(r.name), r.hemi, r.atlasVoxels, r.nVoxels, num(r.mean), num(r.median), r.status].join(','));
  return lines.join('\n') + '\n';
}
