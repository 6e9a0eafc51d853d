/**
 * Reading single-file NIfTI-1/NIfTI-2 images (.nii or .nii.gz bytes) into Float32Array volumes.
 * A whole .nii.gz is inflated by Node's zlib (about 4× faster than fflate), `readNiftiAsync` on
 * libuv's thread pool; a stream that does not yield a complete image (cut, corrupt) is inflated
 * again piece by piece (fflate) to say exactly where it fails.
 */
import { gunzip, gunzipSync } from 'node:zlib';
import { Gunzip } from 'fflate';
import { InvalidNifti, type NeuroburstError } from '../errors.ts';
import {
  HEADER_PROBE_BYTES,
  type DatatypeName,
  type NiftiHeader,
  bytesPerVoxel,
  formatBytes,
  imageByteLength,
  parseNiftiHeader,
} from './header.ts';

export interface NiftiVolume {
  header: NiftiHeader;
  /** Scaled values (slope/intercept applied), x fastest, then y, z, t (NIfTI order). */
  data: Float32Array;
}

/** True for the gzip magic bytes 1f 8b (followed by the deflate method 08 when present). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b && (bytes.length < 3 || bytes[2] === 8);
}

/** Compressed bytes handed to the inflater per step: output arrives in pieces of about this order. */
const INFLATE_STEP = 256 * 1024;
const MAX_DEFLATE_RATIO = 1100;

function gzipError(source: string, e: unknown, produced: number): NeuroburstError {
  const why = e instanceof Error ? e.message : String(e);
  const cut = /unexpected EOF/i.test(why);
  return new InvalidNifti(
    cut
      ? `${source} is truncated: the gzip stream ends early (after ${formatBytes(produced)} of decompressed data). ` +
          'The file was probably cut during upload or download; copy it again.'
      : `${source} could not be decompressed: the gzip data is corrupt (${why}, after ${formatBytes(produced)} of output).`,
    source,
  );
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Decompress only the start of a gzip stream: at least `minBytes` of output (or all of it when
 * shorter). Never throws for a stream cut after that point.
 */
export function gunzipPrefix(bytes: Uint8Array, minBytes: number, source: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const g = new Gunzip((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  const step = 4096;
  try {
    for (let off = 0; off < bytes.length && total < minBytes; off += step) {
      g.push(bytes.subarray(off, off + step), off + step >= bytes.length);
    }
  } catch (e) {
    if (total < minBytes) throw gzipError(source, e, total);
  }
  return concat(chunks, total);
}

/**
 * Decompress a gzipped NIfTI image into one buffer of exactly voxOffset + image bytes, parsing
 * the header as soon as it has arrived. Peak memory is about one decompressed image (the
 * trailer's size field is not trusted: it is garbage in a cut file).
 */
function gunzipNifti(bytes: Uint8Array, source: string): { header: NiftiHeader; file: Uint8Array; have: number } {
  let head: Uint8Array[] = [];
  let headBytes = 0;
  let header: NiftiHeader | undefined;
  let file: Uint8Array | undefined;
  let have = 0;
  const take = (chunk: Uint8Array) => {
    const n = Math.min(chunk.length, file!.length - have);
    if (n > 0) file!.set(n === chunk.length ? chunk : chunk.subarray(0, n), have);
    have += n;
  };
  const start = () => {
    const prefix = concat(head, headBytes);
    header = parseNiftiHeader(prefix, source);
    const need = header.voxOffset + imageByteLength(header);
    // Deflate expands at most ~1032:1, so a header asking for more cannot be satisfied; refuse
    // before allocating (a corrupt header could otherwise ask for terabytes).
    if (need > bytes.length * MAX_DEFLATE_RATIO + 65536) {
      throw new InvalidNifti(
        `${source} is truncated or its header is corrupt: the header describes ${header.dims.join('×')} ${header.datatype} ` +
          `voxels (${formatBytes(need)}), more than a gzip file of ${formatBytes(bytes.length)} can hold.`,
        source,
      );
    }
    file = new Uint8Array(need);
    head = [];
    take(prefix);
  };
  const g = new Gunzip((chunk) => {
    if (file) take(chunk);
    else {
      head.push(chunk);
      headBytes += chunk.length;
    }
  });
  for (let off = 0; off < bytes.length; off += INFLATE_STEP) {
    try {
      g.push(bytes.subarray(off, off + INFLATE_STEP), off + INFLATE_STEP >= bytes.length);
    } catch (e) {
      // Junk after a complete image (e.g. a damaged trailer) does not matter.
      if (file && have === file.length) break;
      const cut = e instanceof Error && /unexpected EOF/i.test(e.message);
      if (cut && !file && headBytes >= HEADER_PROBE_BYTES) start();
      if (cut && file) throw truncated(header!, have, source, true);
      throw gzipError(source, e, file ? have : headBytes);
    }
    if (!file && headBytes >= HEADER_PROBE_BYTES) start();
    if (file && have === file.length) break;
  }
  if (!file) {
    if (headBytes === 0) {
      throw new InvalidNifti(
        `${source} is a gzip file that decompresses to nothing (it may be cut right after the gzip header); expected a NIfTI image inside.`,
        source,
      );
    }
    start();
  }
  return { header: header!, file: file!, have };
}

/** Uncompressed leading bytes of .nii or .nii.gz data, enough for the header. */
function headerBytes(bytes: Uint8Array, source: string): Uint8Array {
  return isGzip(bytes) ? gunzipPrefix(bytes, HEADER_PROBE_BYTES, source) : bytes;
}

/**
 * Parse the header of .nii or .nii.gz bytes. The bytes may stop after the header (ranged read);
 * for gzip only the start of the stream is decompressed.
 */
export function readNiftiHeader(bytes: Uint8Array, source: string): NiftiHeader {
  return parseNiftiHeader(headerBytes(bytes, source), source);
}

/** The named error of a file whose voxel data stop early (`have` bytes of the file, decompressed for gzip), naming `source`. */
export function truncatedNifti(header: NiftiHeader, have: number, source: string, gzip: boolean, input = source): NeuroburstError {
  return truncated(header, have, source, gzip, input);
}

function truncated(header: NiftiHeader, have: number, source: string, gzip: boolean, input = source): NeuroburstError {
  const need = header.voxOffset + imageByteLength(header);
  const got = Math.max(0, have - header.voxOffset) / Math.max(1, need - header.voxOffset);
  return new InvalidNifti(
    `${source} is truncated: its header describes ${header.dims.join('×')} ${header.datatype} voxels starting at byte ` +
      `${header.voxOffset}, which needs ${formatBytes(need)}, but the ` +
      (gzip ? `gzip stream ends after ${formatBytes(have)} of decompressed data` : `file holds only ${formatBytes(have)}`) +
      ` (${(100 * got).toFixed(1)}% of the voxel data). The file was probably cut during upload or download; copy it again.`,
    input,
  );
}

/**
 * The header and file of a whole inflated stream when it holds a complete image (extra bytes
 * after it are ignored), else undefined: the caller inflates again piece by piece, which
 * decides as before (a stream zlib refuses — cut, corrupt, a bad trailer — included).
 */
function wholeImage(out: Uint8Array | undefined, packed: number, source: string): { header: NiftiHeader; file: Uint8Array; have: number } | undefined {
  if (!out || out.length < HEADER_PROBE_BYTES) return undefined;
  let header: NiftiHeader;
  try {
    header = parseNiftiHeader(out, source);
  } catch {
    return undefined;
  }
  const need = header.voxOffset + imageByteLength(header);
  if (need > packed * MAX_DEFLATE_RATIO + 65536 || out.length < need) return undefined;
  return { header, file: out, have: need };
}

function inflateAll(bytes: Uint8Array): Uint8Array | undefined {
  try {
    return gunzipSync(bytes);
  } catch {
    return undefined;
  }
}

function volumeOf(bytes: Uint8Array, source: string, inflated: { header: NiftiHeader; file: Uint8Array; have: number } | undefined): NiftiVolume {
  let header: NiftiHeader;
  let file: Uint8Array;
  let have: number;
  if (isGzip(bytes)) {
    ({ header, file, have } = inflated ?? gunzipNifti(bytes, source));
  } else {
    header = parseNiftiHeader(bytes, source);
    file = bytes;
    have = bytes.length;
  }
  const end = header.voxOffset + imageByteLength(header);
  if (have < end) throw truncated(header, have, source, isGzip(bytes));
  return { header, data: decodeVoxels(header, file.subarray(header.voxOffset, end), source) };
}

/** Read a whole .nii or .nii.gz image: header plus all voxels as scaled float32. */
export function readNifti(bytes: Uint8Array, source: string): NiftiVolume {
  return volumeOf(bytes, source, isGzip(bytes) ? wholeImage(inflateAll(bytes), bytes.length, source) : undefined);
}

/** `readNifti` with the inflating on libuv's thread pool (off the calling thread); same values and errors. */
export async function readNiftiAsync(bytes: Uint8Array, source: string): Promise<NiftiVolume> {
  if (!isGzip(bytes)) return readNifti(bytes, source);
  const out = await new Promise<Uint8Array | undefined>((resolve) => gunzip(bytes, (e, b) => resolve(e ? undefined : b)));
  return volumeOf(bytes, source, wholeImage(out, bytes.length, source));
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverse the byte order of every `size`-byte element, in place. */
export function swapBytes(b: Uint8Array, size: number): void {
  if (size === 2) {
    for (let i = 0; i + 1 < b.length; i += 2) {
      const t = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = t;
    }
  } else if (size === 4) {
    for (let i = 0; i + 3 < b.length; i += 4) {
      const t0 = b[i]!;
      const t1 = b[i + 1]!;
      b[i] = b[i + 3]!;
      b[i + 1] = b[i + 2]!;
      b[i + 2] = t1;
      b[i + 3] = t0;
    }
  } else if (size === 8) {
    for (let i = 0; i + 7 < b.length; i += 8) {
      for (let k = 0; k < 4; k++) {
        const t = b[i + k]!;
        b[i + k] = b[i + 7 - k]!;
        b[i + 7 - k] = t;
      }
    }
  }
}

type SourceArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

function allocate(datatype: DatatypeName, n: number): SourceArray {
  switch (datatype) {
    case 'uint8':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
  }
}

/**
 * Decode a contiguous run of voxels (uncompressed bytes, e.g. a slab from a ranged read) to
 * float32: byte order from the header, then value = stored * sclSlope + sclInter.
 * One byte copy into an array of the stored type (aligned), an in-place byte swap only for
 * foreign-endian files, then a typed-array conversion; float32 without scaling is returned as is.
 */
export function decodeVoxels(header: NiftiHeader, raw: Uint8Array, source: string): Float32Array {
  const size = bytesPerVoxel(header.datatype);
  if (raw.length % size !== 0) {
    throw new InvalidNifti(
      `${source}: a run of ${header.datatype} voxels must be a multiple of ${size} bytes, got ${raw.length} bytes ` +
        '(the file or the byte range is cut inside a voxel).',
      source,
    );
  }
  const n = raw.length / size;
  const stored = allocate(header.datatype, n);
  const storedBytes = new Uint8Array(stored.buffer, 0, raw.length);
  storedBytes.set(raw);
  if (size > 1 && header.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(storedBytes, size);

  const slope = header.sclSlope;
  const inter = header.sclInter;
  const scaled = !(slope === 1 && inter === 0);
  if (stored instanceof Float32Array && !scaled) return stored;
  const out = stored instanceof Float32Array ? stored : new Float32Array(n);
  if (!scaled) {
    out.set(stored);
  } else {
    for (let i = 0; i < n; i++) out[i] = stored[i]! * slope + inter;
  }
  return out;
}

/**
 * Byte range [start, end) of z-planes zStart..zEnd-1 of volume t (default 0) in an
 * uncompressed .nii file, for ranged reads. Planes of one volume are contiguous; the same
 * planes across several volumes are not, so 4-D data is read one volume at a time.
 */
export function slabByteRange(header: NiftiHeader, zStart: number, zEnd: number, t = 0): { start: number; end: number } {
  const [nx, ny, nz] = header.dims as [number, number, number];
  const nt = header.dims[3] ?? 1;
  if (!(Number.isInteger(zStart) && Number.isInteger(zEnd) && zStart >= 0 && zStart < zEnd && zEnd <= nz)) {
    throw new RangeError(`slab planes must satisfy 0 <= zStart < zEnd <= ${nz}; got zStart=${zStart}, zEnd=${zEnd}`);
  }
  if (!(Number.isInteger(t) && t >= 0 && t < nt)) {
    throw new RangeError(`volume index t must be an integer in 0..${nt - 1}; got ${t}`);
  }
  const plane = nx * ny * bytesPerVoxel(header.datatype);
  const volume = plane * nz;
  const base = header.voxOffset + t * volume;
  return { start: base + zStart * plane, end: base + zEnd * plane };
}
