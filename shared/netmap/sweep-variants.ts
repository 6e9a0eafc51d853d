/**
 * Sensitivity sweeps of a network-mapping job (Ji et al. 2025 ran about twenty variants):
 * the plan of seed geometries for ONE pass over the connectome and the variants derived
 * afterwards from the per-seed t maps, with no second pass.
 *
 * Seed geometries: every study at every sphere diameter (`<study>@d<D>mm`), plus, with
 * `perCoordinate`, every coordinate alone at the main diameter (`<study>#<i>@d<D>mm`, i from
 * 1). All of them are mapped in one pass (correlateRun takes any number of seeds).
 *
 * Variants (the first threshold T₀ and the first diameter D₀ are the main network):
 * - `t<T>_d<D>mm` for every threshold × diameter over all studies;
 * - `t<T₀>_d<D₀>mm_<column>-<level>`: the studies whose `column` is `level` (subsets);
 * - `t<T₀>_d<D₀>mm_no-<column>-<level>`: all studies but those (leave one level out);
 * - `t<T₀>_d<D₀>mm_per-coordinate`: every coordinate its own seed (N = number of coordinates).
 * A variant is the overlap (shared/netmap/overlap.ts) of its members' t maps at its
 * threshold, so it equals, voxel for voxel, the same configuration run on its own.
 */
import { InvalidParameter } from '../errors.ts';
import { findPeak } from './peaks.ts';
import { OverlapAccumulator, type OverlapMaps } from './overlap.ts';
import { spatialCorrelation } from './spatial-correlation.ts';
import type { GridGeometry } from '../volume/spheres.ts';

export interface SweepSpec {
  thresholds?: number[];
  sphereDiameterMm?: number[];
  /** columns of the seeds table whose levels each make a per-level network */
  subsets?: string[];
  /** columns whose levels are each left out in turn */
  leaveOneOut?: string[];
  perCoordinate?: boolean;
}

export interface SweepStudy {
  study: string;
  coords: readonly (readonly [number, number, number])[];
  /** value of each seeds-table column for this study (one value per study) */
  columns: Readonly<Record<string, string>>;
}

export interface SeedGeometry {
  id: string;
  study: string;
  diameterMm: number;
  coords: (readonly [number, number, number])[];
}

export interface SweepVariant {
  name: string;
  threshold: number;
  diameterMm: number;
  subset?: { column: string; level: string; mode: 'only' | 'without' };
  perCoordinate?: boolean;
  /** seed-geometry ids whose t maps are overlapped */
  seeds: string[];
}

/** Shortest decimal form: 5.1 → "5.1", 7 → "7", 2.50 → "2.5". */
const num = (x: number) => String(Number(x.toPrecision(12)));
const safe = (s: string) => s.replace(/[^A-Za-z0-9.+-]+/g, '_');

export const geometryId = (study: string, diameterMm: number, coordinate?: number) => `${study}${coordinate === undefined ? '' : `#${coordinate}`}@d${num(diameterMm)}mm`;
export const variantName = (threshold: number, diameterMm: number) => `t${num(threshold)}_d${num(diameterMm)}mm`;

function checkList(xs: readonly number[] | undefined, fallback: number, what: string, lo: number, hi: number): number[] {
  const list = xs && xs.length ? [...xs] : [fallback];
  for (const x of list) if (!(x > lo) || !(x <= hi)) throw new InvalidParameter(`${what} ${x} is outside (${lo}, ${hi}]`, `params.sweep.${what}`);
  if (new Set(list).size !== list.length) throw new InvalidParameter(`${what} lists a value twice`, `params.sweep.${what}`);
  return list;
}

/** Seed geometries of one pass and the variants derived from them. */
export function planSweep(spec: SweepSpec, studies: readonly SweepStudy[], defaults: { threshold: number; diameterMm: number }): { geometries: SeedGeometry[]; variants: SweepVariant[] } {
  if (studies.length === 0) throw new InvalidParameter('a sweep needs at least one study', 'inputs.seeds');
  const thresholds = checkList(spec.thresholds, defaults.threshold, 'thresholds', 0, 1000);
  const diameters = checkList(spec.sphereDiameterMm, defaults.diameterMm, 'sphereDiameterMm', 0, 100);
  const [T0, D0] = [thresholds[0]!, diameters[0]!];
  const geometries: SeedGeometry[] = [];
  for (const D of diameters) for (const s of studies) geometries.push({ id: geometryId(s.study, D), study: s.study, diameterMm: D, coords: [...s.coords] });
  const variants: SweepVariant[] = [];
  for (const D of diameters) for (const T of thresholds) variants.push({ name: variantName(T, D), threshold: T, diameterMm: D, seeds: studies.map((s) => geometryId(s.study, D)) });
  const main = variantName(T0, D0);
  const levelsOf = (column: string, field: string) => {
    const levels: string[] = [];
    for (const s of studies) {
      const v = s.columns[column];
      if (v === undefined || v === '') throw new InvalidParameter(`study ${s.study} has no value in column "${column}"`, field);
      if (!levels.includes(v)) levels.push(v);
    }
    return levels.sort();
  };
  for (const [list, mode, field] of [[spec.subsets, 'only', 'params.sweep.subsets'], [spec.leaveOneOut, 'without', 'params.sweep.leaveOneOut']] as const) {
    for (const column of list ?? []) {
      for (const level of levelsOf(column, field)) {
        const members = studies.filter((s) => (s.columns[column] === level) === (mode === 'only'));
        if (members.length === 0) continue; // leaving out the only level leaves nothing to map
        variants.push({
          name: `${main}_${mode === 'only' ? '' : 'no-'}${safe(column)}-${safe(level)}`,
          threshold: T0,
          diameterMm: D0,
          subset: { column, level, mode },
          seeds: members.map((s) => geometryId(s.study, D0)),
        });
      }
    }
  }
  if (spec.perCoordinate) {
    const seeds: string[] = [];
    for (const s of studies) s.coords.forEach((c, i) => {
      const id = geometryId(s.study, D0, i + 1);
      geometries.push({ id, study: s.study, diameterMm: D0, coords: [c] });
      seeds.push(id);
    });
    variants.push({ name: `${main}_per-coordinate`, threshold: T0, diameterMm: D0, perCoordinate: true, seeds });
  }
  const names = new Set<string>();
  for (const v of variants) {
    if (names.has(v.name)) throw new InvalidParameter(`two sweep variants are both named ${v.name} (levels that differ only in characters outside A–Z, 0–9, ".", "+", "-")`, 'params.sweep');
    names.add(v.name);
  }
  return { geometries, variants };
}

/** A variant's overlap from the per-geometry t maps (one entry per seed id). */
export function variantOverlap(variant: SweepVariant, tMapOf: (seedId: string) => Float32Array, nVox: number): OverlapMaps {
  const acc = new OverlapAccumulator(nVox, variant.threshold, `params.sweep (${variant.name})`);
  for (const id of variant.seeds) acc.add(tMapOf(id), id);
  return acc.result(variant.name);
}

export interface SweepRow {
  variant: string;
  threshold: number;
  diameterMm: number;
  subset: string;
  studies: number;
  peakValue: number;
  peakMm: [number, number, number];
  /** Pearson r of the signed overlap with the main network's, over `mask` */
  rWithMain: number;
}

/** One row per variant for tables/sweep.csv: settings, N, peak of the signed overlap, r with the main network. */
export function sweepRows(variants: readonly SweepVariant[], overlaps: ReadonlyMap<string, OverlapMaps>, grid: GridGeometry, mask?: Uint8Array): SweepRow[] {
  const main = overlaps.get(variants[0]!.name);
  if (!main) throw new InvalidParameter(`no overlap for the main variant ${variants[0]!.name}`, 'params.sweep');
  return variants.map((v) => {
    const o = overlaps.get(v.name);
    if (!o) throw new InvalidParameter(`no overlap for variant ${v.name}`, 'params.sweep');
    const peak = findPeak(o.signed, grid, { mask }, v.name);
    const r = spatialCorrelation(o.signed, main.signed, { mask }, v.name).r;
    return {
      variant: v.name,
      threshold: v.threshold,
      diameterMm: v.diameterMm,
      subset: v.subset ? `${v.subset.mode === 'only' ? '' : 'no '}${v.subset.column}=${v.subset.level}` : v.perCoordinate ? 'per coordinate' : 'all',
      studies: o.n,
      peakValue: peak.value,
      peakMm: peak.voxels[0]!.mm,
      rWithMain: r,
    };
  });
}
