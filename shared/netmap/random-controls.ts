/**
 * Random-coordinate control studies (Ji et al. 2025): each study's coordinates redistributed
 * uniformly among the voxels of a mask (e.g. the brain mask), repeated `repetitions` times
 * (4 in the study: 21 studies → 84 control networks). Within one control study the
 * coordinates are distinct voxels (drawn without replacement); a coordinate is the voxel
 * centre in mm.
 *
 * Control (study s, repetition r) draws from stream(mix32(seed ^ fnv1a(s)), r): a pure
 * function of (seed, study name, repetition), so it does not change when studies are added
 * or removed, reordered, or when more repetitions are asked for. The result is written as a
 * seeds table (`study,x,y,z,source_study,repetition`) that a netmap job can read back.
 */
import { EmptyData, InvalidParameter } from '../errors.ts';
import { voxelToMm } from '../nifti/affine.ts';
import { mix32, stream } from '../random.ts';
import type { GridGeometry } from '../volume/spheres.ts';
import { assertSameLength, gridVoxelCount } from './map-grid.ts';

export interface StudyCoordinates {
  study: string;
  coords: readonly (readonly [number, number, number])[];
}

export interface ControlSeedRow {
  /** `<source>_rand<r>` */
  study: string;
  x: number;
  y: number;
  z: number;
  source: string;
  /** 1-based */
  repetition: number;
}

/** FNV-1a over the UTF-16 code units of a string (32-bit). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The stream of control (study, repetition r ≥ 1). */
export function controlStream(seed: number, study: string, repetition: number) {
  return stream(mix32(((seed >>> 0) ^ fnv1a(study)) >>> 0), repetition);
}

/** `count` distinct indices from 0…M−1 (sparse partial Fisher–Yates). */
function drawDistinct(rng: ReturnType<typeof stream>, M: number, count: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(M - i);
    const at = (q: number) => swapped.get(q) ?? q;
    const vj = at(j);
    swapped.set(j, at(i));
    out.push(vj);
  }
  return out;
}

export function randomCoordinateControls(
  studies: readonly StudyCoordinates[],
  grid: GridGeometry,
  mask: Uint8Array,
  opts: { seed: number; repetitions: number },
  input = 'randomControls',
): ControlSeedRow[] {
  const N = gridVoxelCount(grid, input);
  assertSameLength(N, mask.length, 'the mask', `${input}.mask`);
  if (!Number.isInteger(opts.repetitions) || opts.repetitions < 1 || opts.repetitions > 10_000) throw new InvalidParameter(`repetitions must be an integer in 1…10,000, got ${opts.repetitions}`, `${input}.repetitions`);
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff) throw new InvalidParameter(`seed must be an integer in 0…2³²−1, got ${opts.seed}`, `${input}.seed`);
  const voxels: number[] = [];
  for (let v = 0; v < N; v++) if (mask[v]) voxels.push(v);
  if (voxels.length === 0) throw new EmptyData('the mask has no voxel to place coordinates in', `${input}.mask`);
  const seen = new Set<string>();
  const affine = Float64Array.from(grid.affine);
  const [nx, ny] = grid.dims;
  const rows: ControlSeedRow[] = [];
  for (const s of studies) {
    if (seen.has(s.study)) throw new InvalidParameter(`study "${s.study}" is listed twice`, input);
    seen.add(s.study);
    const n = s.coords.length;
    if (n === 0) throw new EmptyData(`study "${s.study}" has no coordinates to redistribute`, input);
    if (n > voxels.length) throw new InvalidParameter(`study "${s.study}" has ${n} coordinates but the mask only ${voxels.length} voxels`, input);
    for (let r = 1; r <= opts.repetitions; r++) {
      const pick = drawDistinct(controlStream(opts.seed, s.study, r), voxels.length, n);
      for (const q of pick) {
        const v = voxels[q]!;
        const [x, y, z] = voxelToMm(affine, v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny)));
        rows.push({ study: `${s.study}_rand${r}`, x, y, z, source: s.study, repetition: r });
      }
    }
  }
  return rows;
}

const num = (x: number) => String(Number(x.toFixed(6)));

/** The controls as a seeds table a netmap job reads (columns study,x,y,z plus provenance). */
export function controlsTable(rows: readonly ControlSeedRow[]): string {
  return ['study,x,y,z,source_study,repetition', ...rows.map((r) => [r.study, num(r.x), num(r.y), num(r.z), r.source, r.repetition].join(','))].join('\n') + '\n';
}
