/**
 * Network-mapping seeds from meta-analysis coordinate files: Sleuth / GingerALE text and
 * NiMARE dataset JSON (parsed by shared/ale/coordinates.ts, which converts Talairach foci to
 * MNI with the inverse of Lancaster's icbm2tal, as for ALE). Each experiment becomes a study
 * of the seeds table; its id is made into a study name the netmap pipeline accepts (letters,
 * digits, ".", "_", "+", "-", at most 80 characters; other characters → "_"; a name that
 * collides after that gets "-2", "-3", …). Also: the share of coordinates per atlas region.
 */
import { type CoordinateSet, parseCoordinates } from '../ale/coordinates.ts';
import { InvalidParameter } from '../errors.ts';
import { mmToVoxel } from '../nifti/affine.ts';
import type { GridGeometry } from '../volume/spheres.ts';
import { assertSameLength, gridVoxelCount } from './map-grid.ts';

export interface SeedRow {
  study: string;
  x: number;
  y: number;
  z: number;
  /** the experiment id in the coordinate file */
  experiment: string;
  /** space the file gave (coordinates are MNI either way) */
  space: 'MNI' | 'TAL';
}

const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$/;

export function studyNameOf(id: string): string {
  let s = id.replace(/[^A-Za-z0-9._+-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  if (s === '') s = 'study';
  return s.slice(0, 72);
}

export function seedsFromCoordinateSet(set: CoordinateSet): SeedRow[] {
  const used = new Set<string>();
  const rows: SeedRow[] = [];
  for (const [ei, e] of set.experiments.entries()) {
    const base = studyNameOf(e.id);
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
    if (!STUDY_NAME.test(name)) throw new InvalidParameter(`experiment ${ei + 1}'s id cannot be made a study name`, 'coordinates');
    used.add(name);
    for (const f of e.foci) rows.push({ study: name, x: f[0]!, y: f[1]!, z: f[2]!, experiment: e.id, space: e.space });
  }
  return rows;
}

/** Sleuth text or NiMARE JSON (by content) → seed rows in MNI. */
export function seedsFromCoordinates(bytes: Uint8Array | string, source: string): SeedRow[] {
  return seedsFromCoordinateSet(parseCoordinates(bytes, source));
}

const num = (x: number) => String(Number(x.toFixed(4)));
const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function seedsTable(rows: readonly SeedRow[]): string {
  return ['study,x,y,z,experiment,source_space', ...rows.map((r) => [r.study, num(r.x), num(r.y), num(r.z), csvField(r.experiment), r.space].join(','))].join('\n') + '\n';
}

export interface RegionShare {
  /** atlas label; 0 = outside every region (label 0 or outside the grid) */
  label: number;
  name: string;
  count: number;
  /** 100 × count / all coordinates */
  percent: number;
}

/**
 * Share of coordinates per atlas region (e.g. "17 % in the thalamus"): each coordinate is
 * assigned the label of the voxel whose centre is nearest (rounded voxel index through the
 * inverse affine); coordinates outside the grid or on label 0 count as label 0. Rows sorted
 * by count (descending), ties by label; label 0 included when it has coordinates.
 */
export function coordinatesPerRegion(
  coords: readonly (readonly [number, number, number])[],
  atlas: ArrayLike<number>,
  grid: GridGeometry,
  names?: ReadonlyMap<number, string>,
  input = 'atlas',
): RegionShare[] {
  const N = gridVoxelCount(grid, input);
  assertSameLength(N, atlas.length, 'the atlas', input);
  if (coords.length === 0) throw new InvalidParameter('no coordinates to assign', input);
  const [nx, ny, nz] = grid.dims;
  const affine = Float64Array.from(grid.affine);
  const counts = new Map<number, number>();
  coords.forEach((c, ci) => {
    if (!c.every(Number.isFinite)) throw new InvalidParameter(`coordinate ${ci + 1} is not finite`, input);
    const [fi, fj, fk] = mmToVoxel(affine, c[0], c[1], c[2]);
    const [i, j, k] = [Math.round(fi), Math.round(fj), Math.round(fk)];
    let l = 0;
    if (i >= 0 && i < nx && j >= 0 && j < ny && k >= 0 && k < nz) {
      const a = atlas[i + nx * (j + ny * k)]!;
      l = Number.isFinite(a) ? Math.round(a) : 0;
    }
    counts.set(l, (counts.get(l) ?? 0) + 1);
  });
  return [...counts.entries()]
    .map(([label, count]) => ({ label, name: label === 0 ? 'outside atlas regions' : names?.get(label) ?? `label ${label}`, count, percent: (100 * count) / coords.length }))
    .sort((a, b) => b.count - a.count || a.label - b.label);
}
