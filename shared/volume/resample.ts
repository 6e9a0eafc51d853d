/**
 * Nearest-neighbour resampling of a label (or any) volume onto another grid through the two
 * affines: target voxel (i, j, k) → mm by the target affine → source voxel by the inverse source
 * affine → rounded to the nearest source voxel. Labels are never interpolated.
 *
 * Rounding is floor(x + 0.5 + 1e-6): exact halves (a 1.25 mm atlas against a 1.5 mm map lands on
 * them) go up, also when floating-point noise of the affine product puts them a hair below.
 * Target voxels whose source voxel falls outside the source volume get `fill` (default 0).
 * When no target voxel lands inside the source at all the two images share no space and
 * {@link NoGridOverlap} is thrown.
 */
import { NeuroburstError } from '../errors.ts';
import { formatAffine, invertAffine } from '../nifti/affine.ts';

/** The two images' voxel grids do not overlap in millimetre space, so one cannot be resampled onto the other. */
export class NoGridOverlap extends NeuroburstError {
  constructor(message: string, input = '') {
    super('NoGridOverlap', message, input);
  }
}

export interface Grid {
  /** [nx, ny, nz] (a 4th entry, if any, is ignored: only the first volume is resampled). */
  dims: readonly number[];
  /** Row-major 4x4, voxel → mm. */
  affine: Float64Array;
}

export interface ResampleResult {
  /** Values on the target grid, x fastest. */
  data: Float32Array;
  /** Target voxels that landed inside the source volume. */
  inside: number;
  /** Target voxels outside the source volume (given `fill`). */
  outside: number;
  /** True when both grids are identical and the data were copied unchanged. */
  identity: boolean;
  /** The 4x4 target-voxel → source-voxel matrix used (row-major). */
  voxelMap: Float64Array;
}

const SNAP = 1e-6;
const AFFINE_TOL = 1e-6;

function nearest(x: number): number {
  return Math.floor(x + 0.5 + SNAP);
}

function mul4(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
    out[r * 4 + c] = s;
  }
  return out;
}

/** True when two grids have the same first three dims and affines equal within 1e-6 mm. */
export function sameGrid(a: Grid, b: Grid): boolean {
  for (let d = 0; d < 3; d++) if ((a.dims[d] ?? 1) !== (b.dims[d] ?? 1)) return false;
  for (let i = 0; i < 16; i++) if (Math.abs(a.affine[i]! - b.affine[i]!) > AFFINE_TOL) return false;
  return true;
}

/**
 * Resample `source` (values `data` on grid `source`) onto `target` by nearest neighbour.
 * `input` names the source file in errors.
 */
export function resampleNearest(
  data: ArrayLike<number>,
  source: Grid,
  target: Grid,
  opts: { fill?: number; input?: string } = {},
): ResampleResult {
  const fill = opts.fill ?? 0;
  const [sx, sy, sz] = [source.dims[0]!, source.dims[1] ?? 1, source.dims[2] ?? 1];
  const [tx, ty, tz] = [target.dims[0]!, target.dims[1] ?? 1, target.dims[2] ?? 1];
  if (data.length < sx * sy * sz) throw new RangeError(`source data hold ${data.length} values, the grid needs ${sx * sy * sz}`);
  const m = mul4(invertAffine(source.affine), target.affine);
  const nT = tx * ty * tz;
  const out = new Float32Array(nT);
  if (sameGrid(source, target)) {
    for (let v = 0; v < nT; v++) out[v] = data[v]!;
    return { data: out, inside: nT, outside: 0, identity: true, voxelMap: m };
  }
  let inside = 0;
  let v = 0;
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      // source coordinates of (0, j, k); step m[0], m[4], m[8] per i
      const bx = m[1]! * j + m[2]! * k + m[3]!;
      const by = m[5]! * j + m[6]! * k + m[7]!;
      const bz = m[9]! * j + m[10]! * k + m[11]!;
      for (let i = 0; i < tx; i++, v++) {
        const si = nearest(bx + m[0]! * i);
        const sj = nearest(by + m[4]! * i);
        const sk = nearest(bz + m[8]! * i);
        if (si < 0 || sj < 0 || sk < 0 || si >= sx || sj >= sy || sk >= sz) {
          out[v] = fill;
          continue;
        }
        out[v] = data[si + sx * (sj + sy * sk)]!;
        inside++;
      }
    }
  }
  if (inside === 0) {
    throw new NoGridOverlap(
      `${opts.input || 'the image'} (${sx}×${sy}×${sz}, affine ${formatAffine(source.affine)}) shares no voxel with the target grid ` +
        `(${tx}×${ty}×${tz}, affine ${formatAffine(target.affine)}): the two images are in different spaces and cannot be resampled onto each other.`,
      opts.input ?? '',
    );
  }
  return { data: out, inside, outside: nT - inside, identity: false, voxelMap: m };
}
