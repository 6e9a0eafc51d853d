/**
 * Map tools for any NIfTI map (a network map, a published one included):
 *
 *   neuroburst peak    --map M [--atlas A --labels 77,78 | --mask K] [--min] [--local N --distance MM] [--json]
 *   neuroburst compare --map A --map B [--mask K] [--json]
 *   neuroburst overlap --map M --atlas A --labels L [--mask K] [--null N] [--seed S] [--exact] [--json]
 *
 * Values are those after the header's scaling (scl_slope/scl_inter; NaN or 0 slope = none);
 * headers with vox_offset 0 (data right after the 348-byte header and its 4-byte extension
 * flag) are read as written. Every map, atlas and mask must share one voxel grid. The
 * kernels live in shared/netmap (peaks, spatial-correlation, atlas-mask-null); this file is
 * the I/O edge.
 */
import { readFileSync } from 'node:fs';
import { exitCodeFor } from './exit-codes.ts';
import type { Command } from 'commander';
import { errorRecord, InvalidParameter } from '../shared/errors.ts';
import { assertSameSpace, readNifti, type NiftiVolume } from '../shared/nifti/index.ts';
import { atlasLabelStats, atlasMaskExact, atlasMaskTest, atlasMaskMean } from '../shared/netmap/atlas-mask-null.ts';
import { labelMask, parseLabelList } from '../shared/netmap/label-mask.ts';
import { binaryMask } from '../shared/netmap/map-grid.ts';
import { findPeak, localMaxima, type Peak } from '../shared/netmap/peaks.ts';
import { spatialCorrelation } from '../shared/netmap/spatial-correlation.ts';
import type { GridGeometry } from '../shared/volume/spheres.ts';

type Vec3 = [number, number, number];

/** One 3-D volume from a file; a 4-D file is refused (the tools compare single maps). */
export function loadMap(path: string, field: string): NiftiVolume {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new InvalidParameter(`${field}: cannot read ${path}`, field);
  }
  const vol = readNifti(bytes, path);
  const t = vol.header.dims.slice(3).reduce((a, b) => a * b, 1);
  if (t !== 1) throw new InvalidParameter(`${field}: ${path} holds ${t} volumes; give a single 3-D map`, field);
  return vol;
}

export function gridOf(vol: NiftiVolume): GridGeometry {
  const d = vol.header.dims;
  return { dims: [d[0]!, d[1]!, d[2]!], affine: vol.header.affine };
}

const round = (x: number, d = 6) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
const mni = (mm: readonly number[]): Vec3 => [round(mm[0]!, 4), round(mm[1]!, 4), round(mm[2]!, 4)];

export interface PeakEntry {
  value: number;
  mni: Vec3;
  ijk: Vec3;
  /** number of voxels holding exactly `value` (1 = no tie) */
  count: number;
  /** the other voxels holding `value`, in increasing linear index (the first is reported above) */
  ties: { mni: Vec3; ijk: Vec3 }[];
}

function entryOf(p: Peak): PeakEntry {
  const [first, ...rest] = p.voxels;
  return { value: p.value, mni: mni(first!.mm), ijk: first!.ijk, count: p.voxels.length, ties: rest.map((v) => ({ mni: mni(v.mm), ijk: v.ijk })) };
}

/** Mask of a peak/compare/overlap call: atlas labels, a mask file, or none. */
function regionMask(ref: NiftiVolume, opts: { atlas?: string; labels?: string; mask?: string }): { mask?: Uint8Array; region?: string; voxels?: number } {
  if (opts.atlas && opts.mask) throw new InvalidParameter('give --atlas with --labels, or --mask, not both', '--mask');
  if (opts.labels && !opts.atlas) throw new InvalidParameter('--labels needs --atlas', '--labels');
  if (opts.atlas) {
    if (!opts.labels) throw new InvalidParameter('--atlas needs --labels (e.g. --labels 77 for AAL Thalamus_L)', '--labels');
    const atlas = loadMap(opts.atlas, '--atlas');
    assertSameSpace(ref.header, atlas.header, '--atlas', 1e-3, '--map');
    const labels = parseLabelList(opts.labels, '--labels');
    const mask = labelMask(atlas.data, labels, '--labels');
    return { mask, region: `${opts.atlas} labels ${labels.join(',')}`, voxels: mask.reduce((a, b) => a + b, 0) };
  }
  if (opts.mask) {
    const m = loadMap(opts.mask, '--mask');
    assertSameSpace(ref.header, m.header, '--mask', 1e-3, '--map');
    const mask = binaryMask(m.data);
    return { mask, region: opts.mask, voxels: mask.reduce((a, b) => a + b, 0) };
  }
  return {};
}

export interface PeakReport {
  map: string;
  region?: string;
  regionVoxels?: number;
  max: PeakEntry;
  min?: PeakEntry;
  local?: { value: number; mni: Vec3; ijk: Vec3 }[];
}

/** `neuroburst peak`: maximum (and minimum) with ties, optionally within a region, and local maxima. */
export function peakReport(opts: { map: string; atlas?: string; labels?: string; mask?: string; min?: boolean; local?: string | number; distance?: string | number }): PeakReport {
  const vol = loadMap(opts.map, '--map');
  const grid = gridOf(vol);
  const { mask, region, voxels } = regionMask(vol, opts);
  const out: PeakReport = { map: opts.map, ...(region ? { region, regionVoxels: voxels } : {}), max: entryOf(findPeak(vol.data, grid, { mask, mode: 'max' }, '--map')) };
  if (opts.min) out.min = entryOf(findPeak(vol.data, grid, { mask, mode: 'min' }, '--map'));
  if (opts.local !== undefined) {
    const k = Number(opts.local);
    const d = opts.distance === undefined ? 0 : Number(opts.distance);
    if (!Number.isInteger(k) || k < 1) throw new InvalidParameter(`--local must be a positive integer, got ${opts.local}`, '--local');
    if (!Number.isFinite(d) || d < 0) throw new InvalidParameter(`--distance must be a number ≥ 0 (mm), got ${opts.distance}`, '--distance');
    out.local = localMaxima(vol.data, grid, { k, minDistanceMm: d, mask }, '--map').map((m) => ({ value: m.value, mni: mni(m.mm), ijk: m.ijk }));
  } else if (opts.distance !== undefined) throw new InvalidParameter('--distance needs --local N', '--distance');
  return out;
}

export interface CompareReport {
  maps: [string, string];
  mask?: string;
  /** voxels used: in the mask (all voxels without one) and finite in both maps */
  n: number;
  pearson: number;
  spearman: number;
}

/** `neuroburst compare`: Pearson and Spearman r of two maps over the mask's voxels. */
export function compareReport(opts: { map: string[]; mask?: string }): CompareReport {
  if (!opts.map || opts.map.length !== 2) throw new InvalidParameter(`give exactly two --map options, got ${opts.map?.length ?? 0}`, '--map');
  const [pa, pb] = opts.map as [string, string];
  const a = loadMap(pa, '--map');
  const b = loadMap(pb, '--map');
  assertSameSpace(a.header, b.header, pb, 1e-3, pa);
  const { mask } = regionMask(a, { mask: opts.mask });
  const p = spatialCorrelation(a.data, b.data, { mask, method: 'pearson' }, '--map');
  const s = spatialCorrelation(a.data, b.data, { mask, method: 'spearman' }, '--map');
  return { maps: [pa, pb], ...(opts.mask ? { mask: opts.mask } : {}), n: p.n, pearson: round(p.r, 8), spearman: round(s.r, 8) };
}

export interface OverlapReport {
  map: string;
  atlas: string;
  labels: number[];
  /** 100 × mean map value over the labels' voxels */
  observed: number;
  /** labels of the atlas the random masks draw from */
  atlasLabels: number;
  null?: { masks: number; seed: number; p: number; mean: number; sd: number };
  /** every label subset of the same size (small atlases): p = #{subsets ≥ observed} / subsets */
  exact?: { subsets: number; p: number };
}

/** `neuroburst overlap`: mean × 100 within atlas labels and its p against random same-size label sets of the same atlas. */
export function overlapReport(opts: { map: string; atlas: string; labels: string; mask?: string; null?: string | number; seed?: string | number; exact?: boolean }): OverlapReport {
  const vol = loadMap(opts.map, '--map');
  const atlas = loadMap(opts.atlas, '--atlas');
  assertSameSpace(vol.header, atlas.header, '--atlas', 1e-3, '--map');
  const { mask } = regionMask(vol, { mask: opts.mask });
  const labels = parseLabelList(opts.labels, '--labels');
  const stats = atlasLabelStats(vol.data, atlas.data, mask, '--atlas');
  const out: OverlapReport = { map: opts.map, atlas: opts.atlas, labels, observed: round(atlasMaskMean(stats, labels, '--labels'), 8), atlasLabels: stats.labels.length };
  if (opts.null !== undefined) {
    const n = Number(opts.null);
    const seed = opts.seed === undefined ? 1 : Number(opts.seed);
    if (!Number.isInteger(n) || n < 1) throw new InvalidParameter(`--null must be a positive integer, got ${opts.null}`, '--null');
    if (!Number.isInteger(seed) || seed < 0) throw new InvalidParameter(`--seed must be a non-negative integer, got ${opts.seed}`, '--seed');
    const t = atlasMaskTest(stats, labels, { nNull: n, seed }, '--labels');
    let m = 0;
    for (const x of t.null) m += x;
    m /= n;
    let ss = 0;
    for (const x of t.null) ss += (x - m) ** 2;
    out.null = { masks: n, seed, p: t.p, mean: round(m, 8), sd: round(n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, 8) };
  }
  if (opts.exact) {
    const e = atlasMaskExact(stats, labels, 'greater', '--labels');
    out.exact = { subsets: e.nSubsets, p: e.p };
  }
  return out;
}

function fmt(e: PeakEntry): string {
  const tie = e.count > 1 ? `; tied with ${e.count - 1} more voxel(s): ${e.ties.map((t) => `(${t.mni.join(', ')})`).join(' ')}` : '';
  return `${e.value} at MNI (${e.mni.join(', ')}), voxel [${e.ijk.join(', ')}]${tie}`;
}

function run(json: boolean, fn: () => object, text: (r: never) => string): void {
  try {
    const r = fn();
    console.log(json ? JSON.stringify(r, null, 2) : text(r as never));
  } catch (e) {
    const r = errorRecord(e);
    console.error(`neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`);
    process.exitCode = exitCodeFor(r.error);
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerMapTools(program: Command): void {
  program
    .command('peak')
    .description('maximum (with ties), optional minimum and local maxima of a NIfTI map, optionally within atlas labels or a mask')
    .requiredOption('--map <nifti>', 'the map')
    .option('--atlas <nifti>', 'label atlas on the map\'s grid (with --labels)')
    .option('--labels <list>', 'atlas labels forming the region, e.g. 77,78 (AAL thalami)')
    .option('--mask <nifti>', 'mask on the map\'s grid (non-zero = in)')
    .option('--min', 'also report the minimum')
    .option('--local <n>', 'also list up to n local maxima (≥ every usable 26-neighbour)')
    .option('--distance <mm>', 'minimum distance between listed local maxima (mm)')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(!!opts.json, () => peakReport(opts), (r: PeakReport) =>
        [
          `map ${r.map}${r.region ? ` within ${r.region} (${r.regionVoxels} voxels)` : ''}`,
          `max ${fmt(r.max)}`,
          ...(r.min ? [`min ${fmt(r.min)}`] : []),
          ...(r.local ?? []).map((m, i) => `local ${i + 1}: ${m.value} at MNI (${m.mni.join(', ')})`),
        ].join('\n'),
      ),
    );
  program
    .command('compare')
    .description('spatial correlation (Pearson and Spearman) of two NIfTI maps on one grid')
    .requiredOption('--map <nifti>', 'a map (give twice)', collect)
    .option('--mask <nifti>', 'voxels to use (non-zero = in); default every voxel finite in both maps')
    .option('--json', 'print JSON')
    .action((opts) => run(!!opts.json, () => compareReport(opts), (r: CompareReport) => `Pearson r = ${r.pearson}, Spearman r = ${r.spearman} over ${r.n} voxels`));
  program
    .command('overlap')
    .description('mean map value × 100 within atlas labels, with a p against random same-size label sets of the same atlas')
    .requiredOption('--map <nifti>', 'the map')
    .requiredOption('--atlas <nifti>', 'label atlas on the map\'s grid')
    .requiredOption('--labels <list>', 'labels of the region, e.g. 77,78')
    .option('--mask <nifti>', 'restrict to this mask (e.g. the brain)')
    .option('--null <n>', 'number of random label sets for the p value')
    .option('--seed <s>', 'seed of the random label sets (default 1)')
    .option('--exact', 'also the exact p over every label set of the same size (up to 1,000,000 sets)')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(!!opts.json, () => overlapReport(opts), (r: OverlapReport) =>
        `mean × 100 in labels ${r.labels.join(',')}: ${r.observed}` + (r.null ? `; p = ${r.null.p} against ${r.null.masks} random sets of ${r.labels.length} of ${r.atlasLabels} labels (null mean ${r.null.mean}, sd ${r.null.sd})` : '') +
        (r.exact ? `; exact p = ${r.exact.p} over all ${r.exact.subsets} sets` : ''),
      ),
    );
}
