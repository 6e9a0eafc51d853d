/**
 * Planes of a 4-D gzipped NIfTI image without materialising the whole image: the gzip stream is
 * inflated piece by piece and only the bytes of the wanted planes are kept, so memory is the
 * compressed file plus the slab (not the decompressed image). The whole stream up to the last
 * wanted byte is still inflated — a deflate stream cannot be entered in the middle. Inflating
 * uses Node's zlib (about 4× faster than fflate on a 272 MB image).
 */
import { createGunzip } from 'node:zlib';
import { InvalidNifti } from '../errors.ts';
import { bytesPerVoxel, formatBytes, type NiftiHeader } from './header.ts';
import { decodeVoxels, readNiftiHeader } from './read.ts';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decompressed bytes per piece of output. */
const CHUNK = 1 << 20;

export interface GzipSlab {
  header: NiftiHeader;
  /** planes zStart..zEnd-1 of volumes tStart..nt-1, scaled float32, x fastest, volumes back to back */
  data: Float32Array;
}

/**
 * Planes zStart..zEnd-1 of every volume t ≥ tStart of a gzipped .nii.gz held in `bytes`, decoded
 * as `decodeVoxels` does (byte order, slope/intercept). Values equal those of `readNifti` on the
 * same bytes, bit for bit. InvalidNifti (naming `source`) for a corrupt or cut stream.
 * `chunkBytes`: decompressed bytes per piece (default 1 MiB; tests use odd sizes).
 */
export async function readGzipSlab(bytes: Uint8Array, zStart: number, zEnd: number, tStart: number, source: string, opts: { chunkBytes?: number } = {}): Promise<GzipSlab> {
  const header = readNiftiHeader(bytes, source);
  const [nx, ny, nz] = header.dims as [number, number, number];
  const nt = header.dims[3] ?? 1;
  if (!(Number.isInteger(zStart) && Number.isInteger(zEnd) && zStart >= 0 && zStart < zEnd && zEnd <= nz)) {
    throw new RangeError(`slab planes must satisfy 0 <= zStart < zEnd <= ${nz}; got zStart=${zStart}, zEnd=${zEnd}`);
  }
  if (!(Number.isInteger(tStart) && tStart >= 0 && tStart < nt)) throw new RangeError(`first volume must be an integer in 0..${nt - 1}; got ${tStart}`);
  const plane = nx * ny * bytesPerVoxel(header.datatype);
  const volume = plane * nz;
  const region = plane * (zEnd - zStart);
  const raw = new Uint8Array(region * (nt - tStart));
  // wanted byte runs of the decompressed stream: [first(t), first(t) + region) for t = tStart..nt-1
  const first = (t: number) => header.voxOffset + t * volume + zStart * plane;
  const end = first(nt - 1) + region;
  let pos = 0; // decompressed bytes seen so far
  const take = (chunk: Uint8Array) => {
    const c0 = pos;
    const c1 = pos + chunk.length;
    pos = c1;
    if (c1 <= first(tStart) || c0 >= end) return;
    // volumes whose wanted run may overlap [c0, c1)
    let t = Math.max(tStart, Math.floor((c0 - header.voxOffset - zStart * plane) / volume));
    for (; t < nt; t++) {
      const a = first(t);
      if (a >= c1) break;
      const lo = Math.max(a, c0);
      const hi = Math.min(a + region, c1);
      if (hi > lo) raw.set(chunk.subarray(lo - c0, hi - c0), (t - tStart) * region + (lo - a));
    }
  };
  const gunzip = createGunzip({ chunkSize: opts.chunkBytes ?? CHUNK });
  gunzip.end(bytes);
  try {
    // leaving the loop early (every wanted byte seen) destroys the stream
    for await (const chunk of gunzip) {
      take(chunk as Uint8Array);
      if (pos >= end) break;
    }
  } catch (e) {
    // a damaged trailer or junk after the last wanted byte does not matter
    if (pos < end) {
      const why = e instanceof Error ? e.message : String(e);
      if (!/unexpected end of file/i.test(why)) {
        throw new InvalidNifti(`${source} could not be decompressed: the gzip data is corrupt (${why}, after ${formatBytes(pos)} of output).`, source);
      }
    }
  }
  if (pos < end) {
    throw new InvalidNifti(
      `${source} is truncated: its header describes ${header.dims.join('×')} ${header.datatype} voxels starting at byte ${header.voxOffset}, ` +
        `but the gzip stream ends after ${formatBytes(pos)} of decompressed data (planes ${zStart}..${zEnd - 1} of the last volume need ${formatBytes(end)}). ` +
        'The file was probably cut during upload or download; copy it again.',
      source,
    );
  }
  // float32 in this machine's byte order without scaling: the kept bytes are the values (no second copy)
  const asIs = header.datatype === 'float32' && header.littleEndian === HOST_LITTLE_ENDIAN && header.sclSlope === 1 && header.sclInter === 0;
  return { header, data: asIs ? new Float32Array(raw.buffer, 0, raw.length / 4) : decodeVoxels(header, raw, source) };
}
