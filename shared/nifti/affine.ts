/**
 * Voxel <-> mm geometry. An affine is a row-major 4x4 `Float64Array` that maps the voxel
 * index (i, j, k, 1) to scanner/template millimetres (x, y, z, 1), as in the NIfTI-1 sform.
 */
import { SpaceMismatch } from '../errors.ts';

/** The 4x4 identity as a row-major Float64Array. */
export function identityAffine(): Float64Array {
  return Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
}

/** Millimetre coordinates of voxel (i, j, k); indices may be fractional. */
export function voxelToMm(affine: Float64Array, i: number, j: number, k: number): [number, number, number] {
  const a = affine;
  return [
    a[0]! * i + a[1]! * j + a[2]! * k + a[3]!,
    a[4]! * i + a[5]! * j + a[6]! * k + a[7]!,
    a[8]! * i + a[9]! * j + a[10]! * k + a[11]!,
  ];
}

/** Real-valued voxel coordinates of the point (x, y, z) mm; round them yourself for a voxel index. */
export function mmToVoxel(affine: Float64Array, x: number, y: number, z: number): [number, number, number] {
  return voxelToMm(invertAffine(affine), x, y, z);
}

/**
 * Inverse of a 4x4 matrix (Gauss-Jordan elimination with partial pivoting).
 * Throws a RangeError for a singular matrix; affines read from files are checked on read.
 */
export function invertAffine(affine: Float64Array): Float64Array {
  if (affine.length !== 16) throw new RangeError(`an affine has 16 entries (4x4), got ${affine.length}`);
  const m = Float64Array.from(affine);
  const inv = identityAffine();
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    let best = Math.abs(m[col * 4 + col]!);
    for (let r = col + 1; r < 4; r++) {
      const v = Math.abs(m[r * 4 + col]!);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (!(best > 1e-300)) throw new RangeError('the affine is singular (its voxel axes do not span 3-D space) and cannot be inverted');
    if (pivot !== col) {
      for (let c = 0; c < 4; c++) {
        const t1 = m[col * 4 + c]!;
        m[col * 4 + c] = m[pivot * 4 + c]!;
        m[pivot * 4 + c] = t1;
        const t2 = inv[col * 4 + c]!;
        inv[col * 4 + c] = inv[pivot * 4 + c]!;
        inv[pivot * 4 + c] = t2;
      }
    }
    const p = m[col * 4 + col]!;
    for (let c = 0; c < 4; c++) {
      m[col * 4 + c] = m[col * 4 + c]! / p;
      inv[col * 4 + c] = inv[col * 4 + c]! / p;
    }
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = m[r * 4 + col]!;
      if (f === 0) continue;
      for (let c = 0; c < 4; c++) {
        m[r * 4 + c] = m[r * 4 + c]! - f * m[col * 4 + c]!;
        inv[r * 4 + c] = inv[r * 4 + c]! - f * inv[col * 4 + c]!;
      }
    }
  }
  return inv;
}

/** Determinant of the upper-left 3x3 (the linear part) of an affine. */
export function affineDet3(a: ArrayLike<number>): number {
  return (
    a[0]! * (a[5]! * a[10]! - a[6]! * a[9]!) -
    a[1]! * (a[4]! * a[10]! - a[6]! * a[8]!) +
    a[2]! * (a[4]! * a[9]! - a[5]! * a[8]!)
  );
}

/** Lengths of the three voxel axes (columns of the linear part): the voxel size in mm. */
export function affineVoxelSizes(affine: Float64Array): [number, number, number] {
  const col = (c: number) => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!);
  return [col(0), col(1), col(2)];
}

/**
 * The NIfTI qform: rotation from the unit quaternion (a, b, c, d) with a = sqrt(1 - b² - c² - d²),
 * times diag(dx, dy, qfac·dz), plus the offset. `pixdim` holds [dx, dy, dz]; a zero voxel size is
 * taken as 1 and a negative one by its magnitude. `qfac` is the sign of pixdim[0] (-1 or +1).
 */
export function quaternToAffine(
  b: number,
  c: number,
  d: number,
  qoffset: ArrayLike<number>,
  pixdim: ArrayLike<number>,
  qfac = 1,
): Float64Array {
  const a2 = 1 - (b * b + c * c + d * d);
  let a: number;
  if (a2 < 1e-7) {
    // (b, c, d) already has (nearly) unit length: a 180-degree rotation; renormalise.
    const n = Math.hypot(b, c, d) || 1;
    b /= n;
    c /= n;
    d /= n;
    a = 0;
  } else {
    a = Math.sqrt(a2);
  }
  const size = (v: number | undefined) => (v === undefined || !Number.isFinite(v) || v === 0 ? 1 : Math.abs(v));
  const dx = size(pixdim[0]);
  const dy = size(pixdim[1]);
  const dz = size(pixdim[2]) * (qfac < 0 ? -1 : 1);
  const r11 = a * a + b * b - c * c - d * d;
  const r12 = 2 * (b * c - a * d);
  const r13 = 2 * (b * d + a * c);
  const r21 = 2 * (b * c + a * d);
  const r22 = a * a + c * c - b * b - d * d;
  const r23 = 2 * (c * d - a * b);
  const r31 = 2 * (b * d - a * c);
  const r32 = 2 * (c * d + a * b);
  const r33 = a * a + d * d - b * b - c * c;
  return Float64Array.from([
    r11 * dx, r12 * dy, r13 * dz, qoffset[0] ?? 0,
    r21 * dx, r22 * dy, r23 * dz, qoffset[1] ?? 0,
    r31 * dx, r32 * dy, r33 * dz, qoffset[2] ?? 0,
    0, 0, 0, 1,
  ]);
}

/** Quaternion form of an affine, as stored in a NIfTI qform. */
export interface Quatern {
  b: number;
  c: number;
  d: number;
  qoffset: [number, number, number];
  /** Voxel sizes [dx, dy, dz] (column lengths of the linear part). */
  pixdim: [number, number, number];
  /** -1 when the voxel axes are left-handed (det < 0), else 1; stored as pixdim[0]. */
  qfac: 1 | -1;
}

/**
 * Nearest qform of an affine: voxel sizes from the column lengths, the rotation from the
 * orthogonal polar factor of the normalised columns (exact for rigid + scaling affines;
 * shears cannot be represented in a qform and are dropped).
 */
export function affineToQuatern(affine: Float64Array): Quatern {
  const sizes = affineVoxelSizes(affine);
  // Normalised columns; a zero-length axis becomes the matching unit axis.
  const r = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    const len = sizes[c]!;
    for (let row = 0; row < 3; row++) {
      r[row * 3 + c] = len > 0 ? affine[row * 4 + c]! / len : row === c ? 1 : 0;
    }
    if (!(len > 0)) sizes[c] = 1;
  }
  let qfac: 1 | -1 = 1;
  if (affineDet3([r[0]!, r[1]!, r[2]!, 0, r[3]!, r[4]!, r[5]!, 0, r[6]!, r[7]!, r[8]!]) < 0) {
    qfac = -1;
    r[2] = -r[2]!;
    r[5] = -r[5]!;
    r[8] = -r[8]!;
  }
  polarOrthogonalise(r);
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = Array.from(r) as Nine;
  let a: number, b: number, c: number, d: number;
  const trace = r11 + r22 + r33;
  if (trace > 0) {
    a = 0.5 * Math.sqrt(1 + trace);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else if (r11 >= r22 && r11 >= r33) {
    b = 0.5 * Math.sqrt(Math.max(0, 1 + r11 - r22 - r33));
    c = (0.25 * (r12 + r21)) / b;
    d = (0.25 * (r13 + r31)) / b;
    a = (0.25 * (r32 - r23)) / b;
  } else if (r22 >= r33) {
    c = 0.5 * Math.sqrt(Math.max(0, 1 + r22 - r11 - r33));
    b = (0.25 * (r12 + r21)) / c;
    d = (0.25 * (r23 + r32)) / c;
    a = (0.25 * (r13 - r31)) / c;
  } else {
    d = 0.5 * Math.sqrt(Math.max(0, 1 + r33 - r11 - r22));
    b = (0.25 * (r13 + r31)) / d;
    c = (0.25 * (r23 + r32)) / d;
    a = (0.25 * (r21 - r12)) / d;
  }
  if (a < 0) {
    b = -b;
    c = -c;
    d = -d;
  }
  return {
    b: b + 0, // +0 turns -0 into 0
    c: c + 0,
    d: d + 0,
    qoffset: [affine[3]!, affine[7]!, affine[11]!],
    pixdim: sizes,
    qfac,
  };
}

type Nine = [number, number, number, number, number, number, number, number, number];

/** Replace a 3x3 row-major matrix (det > 0, near-orthogonal) by its orthogonal polar factor. */
function polarOrthogonalise(r: Float64Array): void {
  for (let iter = 0; iter < 50; iter++) {
    const inv = invert3(r);
    if (!inv) return;
    let change = 0;
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) {
        // X <- (X + X^-T) / 2
        const next = 0.5 * (r[row * 3 + col]! + inv[col * 3 + row]!);
        change = Math.max(change, Math.abs(next - r[row * 3 + col]!));
        r[row * 3 + col] = next;
      }
    }
    if (change < 1e-15) return;
  }
}

function invert3(m: Float64Array): Float64Array | null {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m) as Nine;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!(Math.abs(det) > 1e-300)) return null;
  return Float64Array.from([
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ]);
}

/** Human-readable rows of an affine, for error messages. */
export function formatAffine(a: Float64Array): string {
  const fmt = (v: number) => String(Math.round(v * 1e4) / 1e4);
  return [0, 1, 2].map((r) => `[${[0, 1, 2, 3].map((c) => fmt(a[r * 4 + c]!)).join(', ')}]`).join(' ');
}

/** What assertSameSpace compares of two headers (a NiftiHeader has both). */
export interface GridGeometry {
  dims: number[];
  affine: Float64Array;
}

/**
 * Require `other` to lie on the same voxel grid as `ref`: equal spatial dimensions (first 3)
 * and every affine entry within `tolMm` (default 1e-3). Otherwise throws SpaceMismatch with
 * `input` as the offending input; `refName` names the reference in the message.
 */
export function assertSameSpace(
  ref: GridGeometry,
  other: GridGeometry,
  input: string,
  tolMm = 1e-3,
  refName = 'the reference image',
): void {
  const refGrid = ref.dims.slice(0, 3);
  const grid = other.dims.slice(0, 3);
  if (refGrid.some((n, i) => n !== grid[i])) {
    throw new SpaceMismatch(
      `${input} has ${grid.join('×')} voxels but ${refName} has ${refGrid.join('×')}: ` +
        'the images must be on the same voxel grid (resample them to the same template first).',
      input,
    );
  }
  let worst = 0;
  for (let n = 0; n < 16; n++) {
    const diff = Math.abs(ref.affine[n]! - other.affine[n]!);
    if (!(diff <= tolMm)) worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
  }
  if (worst > 0) {
    throw new SpaceMismatch(
      `${input} has the same grid size (${grid.join('×')}) as ${refName} but a different voxel-to-mm affine ` +
        `(entries differ by up to ${worst.toPrecision(3)} mm; allowed ${tolMm} mm). ` +
        `${refName}: ${formatAffine(ref.affine)}; ${input}: ${formatAffine(other.affine)}. ` +
        'Check the voxel size, origin and orientation (e.g. x flipped), and resample to one template.',
      input,
    );
  }
}
