/**
 * NIfTI-1 and NIfTI-2 header parsing with a DataView.
 *
 * The header is parsed here rather than with nifti-reader-js because that library prefers the
 * qform over the sform whenever qform_code > sform_code, takes vox_offset 0 literally (reading
 * the header as voxels) and reports any file whose first or second byte matches the gzip magic
 * as compressed. The tests cross-check these fields against nifti-reader-js on the fixtures.
 */
import { InvalidNifti, UnsupportedDatatype } from '../errors.ts';
import { affineDet3, quaternToAffine } from './affine.ts';

export type DatatypeName = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface NiftiIntent {
  code: number;
  p1: number;
  p2: number;
  p3: number;
  name: string;
}

export interface NiftiHeader {
  version: 1 | 2;
  /** [nx, ny, nz] or [nx, ny, nz, nt]; trailing singleton dims dropped, at least 3 entries. */
  dims: number[];
  /** Voxel sizes matching dims (magnitudes as stored: mm for x, y, z; for t the TR as stored). */
  pixdim: number[];
  /** Repetition time in seconds for a 4-D image (from pixdim[4] and the time unit), else undefined. */
  tr: number | undefined;
  datatype: DatatypeName;
  /** Bits per voxel of `datatype`. */
  bitpix: number;
  /** Effective slope: NaN, ±Inf or 0 in the file mean "no scaling" and give 1. */
  sclSlope: number;
  /** Effective intercept: 0 when the slope meant "no scaling". */
  sclInter: number;
  /** Row-major 4x4, voxel (i, j, k, 1) -> mm: sform if sform_code > 0, else qform if qform_code > 0, else diag(pixdim). */
  affine: Float64Array;
  sformCode: number;
  qformCode: number;
  /** Byte offset of the first voxel in the (uncompressed) file. */
  voxOffset: number;
  littleEndian: boolean;
  description: string;
  /** Statistical intent (code 0 = none). Filled by the reader; optional when building headers by hand. */
  intent?: NiftiIntent;
}

interface DatatypeInfo {
  name: DatatypeName;
  code: number;
  bytes: number;
}

const SUPPORTED: readonly DatatypeInfo[] = [
  { name: 'uint8', code: 2, bytes: 1 },
  { name: 'int16', code: 4, bytes: 2 },
  { name: 'int32', code: 8, bytes: 4 },
  { name: 'float32', code: 16, bytes: 4 },
  { name: 'float64', code: 64, bytes: 8 },
  { name: 'int8', code: 256, bytes: 1 },
  { name: 'uint16', code: 512, bytes: 2 },
  { name: 'uint32', code: 768, bytes: 4 },
];

/** Names of the NIfTI datatype codes this reader does not handle, for error messages. */
const UNSUPPORTED_NAMES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'RGB24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32',
};

const BY_CODE = new Map(SUPPORTED.map((d) => [d.code, d]));
const BY_NAME = new Map(SUPPORTED.map((d) => [d.name, d]));

/** NIfTI datatype code of a supported datatype name (e.g. 'float32' -> 16). */
export function datatypeCode(name: DatatypeName): number {
  return BY_NAME.get(name)!.code;
}

/** Bytes per voxel of a datatype. */
export function bytesPerVoxel(datatype: DatatypeName): number {
  return BY_NAME.get(datatype)!.bytes;
}

/** Number of voxels in the image (all volumes). */
export function voxelCount(header: Pick<NiftiHeader, 'dims'>): number {
  return header.dims.reduce((p, n) => p * n, 1);
}

/** Bytes of voxel data that follow voxOffset. */
export function imageByteLength(header: Pick<NiftiHeader, 'dims' | 'datatype'>): number {
  return voxelCount(header) * bytesPerVoxel(header.datatype);
}

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;
/** Fetch this many leading (uncompressed) bytes to be able to parse either header version. */
export const HEADER_PROBE_BYTES = 544;

/** Human-readable byte count for messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB (${n} bytes)`;
}

function readString(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  const stop = Math.min(start + length, bytes.length);
  while (end < stop && bytes[end] !== 0) end++;
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s.trim();
}

/** Voxel-size multiplier of the time unit in xyzt_units to seconds; undefined for non-time units. */
function secondsPerTimeUnit(xyztUnits: number): number | undefined {
  switch (xyztUnits & 0x38) {
    case 0: // unknown: taken as seconds, the NIfTI default for TR
    case 8:
      return 1;
    case 16:
      return 1e-3;
    case 24:
      return 1e-6;
    default: // Hz, ppm, rad/s: the 4th axis is not time
      return undefined;
  }
}

/** Raw fields common to both header versions (all converted to JS numbers). */
interface RawFields {
  version: 1 | 2;
  littleEndian: boolean;
  dim: number[]; // dim[0..7]
  pixdim: number[]; // pixdim[0..7]
  datatypeCode: number;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  srow: number[]; // 12 entries
  description: string;
  intent: NiftiIntent;
  magic: string;
}

function readRaw(bytes: Uint8Array, source: string): RawFields {
  if (bytes.length === 0) throw new InvalidNifti(`${source} is empty (0 bytes); expected a NIfTI image.`, source);
  if (bytes.length < 4) {
    throw new InvalidNifti(`${source} is not a NIfTI image: it holds only ${bytes.length} bytes, a NIfTI header needs at least 348.`, source);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dv.getInt32(0, true);
  const be = dv.getInt32(0, false);
  let version: 1 | 2;
  let littleEndian: boolean;
  if (le === NIFTI1_HEADER_SIZE || be === NIFTI1_HEADER_SIZE) {
    version = 1;
    littleEndian = le === NIFTI1_HEADER_SIZE;
  } else if (le === NIFTI2_HEADER_SIZE || be === NIFTI2_HEADER_SIZE) {
    version = 2;
    littleEndian = le === NIFTI2_HEADER_SIZE;
  } else {
    // the bytes found are not quoted: they are the file's contents (e.g. the start of a text file)
    throw new InvalidNifti(
      `${source} is not a NIfTI image: its first 4 bytes do not hold the header size 348 (NIfTI-1) or 540 (NIfTI-2) in either byte order.` +
        (bytes[0] === 0x1f && bytes[1] === 0x8b ? '' : ' If it is compressed, only gzip (.nii.gz) is supported.'),
      source,
    );
  }
  const need = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (bytes.length < need) {
    throw new InvalidNifti(
      `${source} is truncated: a NIfTI-${version} header needs ${need} bytes, the file holds only ${bytes.length}.`,
      source,
    );
  }
  const i16 = (o: number) => dv.getInt16(o, littleEndian);
  const i32 = (o: number) => dv.getInt32(o, littleEndian);
  const i64 = (o: number) => Number(dv.getBigInt64(o, littleEndian));
  const f32 = (o: number) => dv.getFloat32(o, littleEndian);
  const f64 = (o: number) => dv.getFloat64(o, littleEndian);
  if (version === 1) {
    return {
      version,
      littleEndian,
      dim: Array.from({ length: 8 }, (_, n) => i16(40 + 2 * n)),
      pixdim: Array.from({ length: 8 }, (_, n) => f32(76 + 4 * n)),
      datatypeCode: i16(70),
      voxOffset: f32(108),
      sclSlope: f32(112),
      sclInter: f32(116),
      xyztUnits: bytes[123]!,
      qformCode: i16(252),
      sformCode: i16(254),
      quatern: [f32(256), f32(260), f32(264)],
      qoffset: [f32(268), f32(272), f32(276)],
      srow: Array.from({ length: 12 }, (_, n) => f32(280 + 4 * n)),
      description: readString(bytes, 148, 80),
      intent: { code: i16(68), p1: f32(56), p2: f32(60), p3: f32(64), name: readString(bytes, 328, 16) },
      magic: String.fromCharCode(bytes[344]!, bytes[345]!, bytes[346]!),
    };
  }
  return {
    version,
    littleEndian,
    dim: Array.from({ length: 8 }, (_, n) => i64(16 + 8 * n)),
    pixdim: Array.from({ length: 8 }, (_, n) => f64(104 + 8 * n)),
    datatypeCode: i16(12),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    xyztUnits: i32(500),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: Array.from({ length: 12 }, (_, n) => f64(400 + 8 * n)),
    description: readString(bytes, 240, 80),
    intent: { code: i32(504), p1: f64(80), p2: f64(88), p3: f64(96), name: readString(bytes, 508, 16) },
    magic: String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!),
  };
}

/**
 * Parse the header at the start of the uncompressed bytes of a single-file NIfTI-1 or NIfTI-2
 * image. Only the header has to be present (voxel data may be absent, as in a ranged read).
 */
export function parseNiftiHeader(bytes: Uint8Array, source: string): NiftiHeader {
  const raw = readRaw(bytes, source);
  const v = raw.version;

  // Magic: "n+1"/"n+2" single file; "ni1"/"ni2" is the header of a .hdr/.img pair.
  const single = `n+${v}`;
  const pair = `ni${v}`;
  if (raw.magic === pair) {
    throw new InvalidNifti(
      `${source} is the header of a two-file NIfTI-${v} pair (.hdr + .img, magic "${pair}"); ` +
        'only single-file .nii or .nii.gz images are supported. Convert it, e.g. with fslchfiletype NIFTI_GZ or nibabel.',
      source,
    );
  }
  if (raw.magic !== single) {
    throw new InvalidNifti(
      `${source} is not a NIfTI-${v} image: the magic string at byte ${v === 1 ? 344 : 4} is not "${single}"` +
        (v === 1 ? ' (an ANALYZE 7.5 header has no magic; convert it to NIfTI first).' : '.'),
      source,
    );
  }

  // Data type.
  const dt = BY_CODE.get(raw.datatypeCode);
  if (!dt) {
    const what = UNSUPPORTED_NAMES[raw.datatypeCode] ?? 'not a NIfTI datatype code';
    throw new UnsupportedDatatype(
      `${source} stores voxels as datatype code ${raw.datatypeCode} (${what}); supported are ` +
        SUPPORTED.map((d) => `${d.name} (${d.code})`).join(', ') +
        '. Convert the image to one of these (e.g. float32) first.',
      source,
    );
  }

  // Dimensions.
  const ndim = raw.dim[0]!;
  if (!(ndim >= 1 && ndim <= 7)) {
    throw new InvalidNifti(
      `${source} has an invalid header: dim[0] (number of dimensions) must be 1 to 7, found ${ndim}.`,
      source,
    );
  }
  const dimsAll = raw.dim.slice(1, ndim + 1);
  const bad = dimsAll.findIndex((n) => !Number.isSafeInteger(n) || n < 1);
  if (bad >= 0) {
    throw new InvalidNifti(
      `${source} has an invalid header: dimension ${bad + 1} has size ${dimsAll[bad]}, expected a positive integer ` +
        `(dim = [${dimsAll.join(', ')}]).`,
      source,
    );
  }
  while (dimsAll.length > 3 && dimsAll[dimsAll.length - 1] === 1) dimsAll.pop();
  if (dimsAll.length > 4) {
    throw new InvalidNifti(
      `${source} is a ${dimsAll.length}-D image (dim = [${dimsAll.join(', ')}]); only 3-D and 4-D (x, y, z, time) images are supported.`,
      source,
    );
  }
  while (dimsAll.length < 3) dimsAll.push(1);
  const dims = dimsAll;
  const nVox = voxelCount({ dims });
  if (!Number.isSafeInteger(nVox * dt.bytes)) {
    throw new InvalidNifti(`${source} has an implausible size: dim = [${dims.join(', ')}].`, source);
  }

  const absOr = (x: number | undefined, fallback: number) => (x !== undefined && Number.isFinite(x) ? Math.abs(x) : fallback);
  const pixdim = dims.map((_, n) => absOr(raw.pixdim[n + 1], 0));

  let tr: number | undefined;
  if (dims.length === 4) {
    const perUnit = secondsPerTimeUnit(raw.xyztUnits);
    const t = pixdim[3]!;
    tr = perUnit !== undefined && t > 0 ? t * perUnit : undefined;
  }

  // Scaling: a slope of 0 or a non-finite one means "no scaling".
  let sclSlope = raw.sclSlope;
  let sclInter = raw.sclInter;
  if (!Number.isFinite(sclSlope) || sclSlope === 0) {
    sclSlope = 1;
    sclInter = 0;
  } else if (!Number.isFinite(sclInter)) {
    sclInter = 0;
  }

  // Voxel offset: 0 (or anything inside the header) in a single file means "right after the header".
  const minOffset = v === 1 ? 352 : 544;
  let voxOffset = Number.isFinite(raw.voxOffset) ? Math.floor(raw.voxOffset) : 0;
  if (voxOffset < minOffset) voxOffset = minOffset;

  const affine = chooseAffine(raw, pixdim, source);

  return {
    version: v,
    dims,
    pixdim,
    tr,
    datatype: dt.name,
    bitpix: dt.bytes * 8,
    sclSlope,
    sclInter,
    affine,
    sformCode: raw.sformCode,
    qformCode: raw.qformCode,
    voxOffset,
    littleEndian: raw.littleEndian,
    description: raw.description,
    intent: raw.intent,
  };
}

function usable(a: Float64Array): boolean {
  return a.every(Number.isFinite) && Math.abs(affineDet3(a)) > 1e-12;
}

/** sform if sform_code > 0 (and usable), else qform if qform_code > 0, else diag(pixdim). */
function chooseAffine(raw: RawFields, pixdim: number[], source: string): Float64Array {
  if (raw.sformCode > 0) {
    const s = Float64Array.from([...raw.srow, 0, 0, 0, 1]);
    if (usable(s)) return s;
  }
  if (raw.qformCode > 0) {
    const [b, c, d] = raw.quatern;
    const q = quaternToAffine(b, c, d, raw.qoffset, raw.pixdim.slice(1, 4), raw.pixdim[0]! < 0 ? -1 : 1);
    if (usable(q)) return q;
  }
  if (raw.sformCode > 0 || raw.qformCode > 0) {
    throw new InvalidNifti(
      `${source} has an unusable orientation: sform_code ${raw.sformCode} / qform_code ${raw.qformCode} are set, ` +
        'but the stored voxel-to-mm transform is degenerate or not finite.',
      source,
    );
  }
  const size = (x: number | undefined) => (x && x > 0 ? x : 1);
  return Float64Array.from([
    size(pixdim[0]), 0, 0, 0,
    0, size(pixdim[1]), 0, 0,
    0, 0, size(pixdim[2]), 0,
    0, 0, 0, 1,
  ]);
}
