import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { readGzipSlab } from '../shared/nifti/gzip-slab.ts';
import { InvalidNifti } from '../shared/errors.ts';
import { stream } from '../shared/random.ts';

const affine = Float64Array.from([2, 0, 0, -40, 0, 2, 0, -40, 0, 0, 2, -30, 0, 0, 0, 1]);
const dims = [40, 36, 30, 12];
const nVox = 40 * 36 * 30;
const rng = stream(31, 0);
const values = Float32Array.from({ length: nVox * dims[3]! }, () => 1000 * rng.normal());

/** The plain way: inflate everything, then copy the planes of each kept volume. */
function plainSlab(bytes: Uint8Array, z0: number, z1: number, t0: number): Float32Array {
  const vol = readNifti(bytes, 'f');
  const plane = dims[0]! * dims[1]!;
  const region = plane * (z1 - z0);
  const out = new Float32Array(region * (dims[3]! - t0));
  for (let t = t0; t < dims[3]!; t++) out.set(vol.data.subarray(t * nVox + z0 * plane, t * nVox + z1 * plane), (t - t0) * region);
  return out;
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('readGzipSlab: planes of a .nii.gz without inflating into a whole-image array', () => {
  // float32 noise hardly compresses: the stream is ~5 MB, inflated in many pieces, so runs cross piece boundaries
  const f32 = writeNifti({ dims, affine, data: values, tr: 2 }, { datatype: 'float32', gzip: true });

  it('equals readNifti + plane copy bit for bit, for slabs at the ends, in the middle, and with volumes dropped', async () => {
    expect(f32.length).toBeGreaterThan(1 << 20);
    for (const [z0, z1, t0] of [[0, 30, 0], [0, 1, 0], [29, 30, 0], [7, 19, 3], [13, 14, 11], [0, 11, 5]] as const) {
      const got = await readGzipSlab(f32, z0, z1, t0, 'f');
      expect(got.header.dims).toEqual(dims);
      expect(got.data.length).toBe(40 * 36 * (z1 - z0) * (12 - t0));
      expect(same(got.data, plainSlab(f32, z0, z1, t0)), `${z0}..${z1} from ${t0}`).toBe(true);
      // pieces of 4099 bytes: runs start and end inside pieces, and pieces span volume boundaries
      const small = await readGzipSlab(f32, z0, z1, t0, 'f', { chunkBytes: 4099 });
      expect(same(small.data, got.data), `${z0}..${z1} from ${t0}, small pieces`).toBe(true);
    }
  });

  it('applies the scale factors of an int16 file (scl_slope, scl_inter) as readNifti does', async () => {
    const raw = writeNifti({ dims, affine, data: values.map((v) => v / 10), tr: 2 }, { datatype: 'int16', gzip: false });
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    dv.setFloat32(112, 0.25, true);
    dv.setFloat32(116, -3, true);
    const gz = gzipSync(raw);
    const got = await readGzipSlab(gz, 4, 9, 2, 'i16');
    expect(same(got.data, plainSlab(gz, 4, 9, 2))).toBe(true);
    expect(got.data[5]).toBe(Math.round(values[4 * 1440 + 2 * nVox + 5]! / 10) * 0.25 - 3);
  });

  it('a cut stream is an InvalidNifti naming the file, unless only the trailer is cut', async () => {
    const cut = f32.subarray(0, Math.floor(f32.length * 0.6));
    await expect(readGzipSlab(cut, 0, 30, 0, 'sub-01 func')).rejects.toThrow(InvalidNifti);
    await expect(readGzipSlab(cut, 0, 30, 0, 'sub-01 func')).rejects.toThrow(/sub-01 func is truncated/);
    // a stream cut inside its 8-byte trailer (CRC, size) still holds every plane
    await expect(readGzipSlab(f32.subarray(0, f32.length - 8), 0, 3, 0, 'f')).resolves.toBeDefined();
    // an invalid deflate block type (3) right after the 10-byte gzip header
    const bad = f32.slice();
    bad[10] = 0xff;
    expect(() => readNifti(bad, 'sub-02 func')).toThrow(InvalidNifti);
    await expect(readGzipSlab(bad, 0, 30, 0, 'sub-02 func')).rejects.toThrow(/sub-02 func could not be decompressed/);
  });

  it('refuses planes outside the image', async () => {
    await expect(readGzipSlab(f32, 3, 31, 0, 'f')).rejects.toThrow(RangeError);
    await expect(readGzipSlab(f32, 5, 5, 0, 'f')).rejects.toThrow(RangeError);
    await expect(readGzipSlab(f32, 0, 5, 12, 'f')).rejects.toThrow(RangeError);
  });
});
