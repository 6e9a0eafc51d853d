/**
 * gzip and inflate of NIfTI images through Node's zlib (sync, and async on libuv's thread
 * pool), checked against fflate (an independent deflate/inflate implementation): written files
 * are standard gzip that fflate opens to exactly the encoded bytes; read values equal fflate's
 * inflate followed by the voxel decoder; cut and corrupt streams fail with the same named
 * errors on both paths.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync as fflateGunzip, gzipSync as fflateGzip } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InvalidNifti } from '../shared/errors.ts';
import { decodeVoxels, encodeNifti, gzipNifti, parseNiftiHeader, readNifti, readNiftiAsync, writeNifti, writeNiftiAsync } from '../shared/nifti/index.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const affine = Float64Array.from([-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]);
const n = 23 * 19 * 17;
// a smooth map with zeros outside a ball, NaN in one voxel: what statistic maps look like
const data = Float32Array.from({ length: n }, (_, g) => {
  const [i, j, k] = [g % 23, Math.floor(g / 23) % 19, Math.floor(g / (23 * 19))];
  const r2 = (i - 11) ** 2 + (j - 9) ** 2 + (k - 8) ** 2;
  return g === 777 ? Number.NaN : r2 < 64 ? Math.sin(i * 0.7) * Math.cos(j * 0.3) * (8 - Math.sqrt(r2)) : 0;
});
const vol = { dims: [23, 19, 17], affine, data };

/** The reference reading: fflate's inflate, then the header parser and voxel decoder. */
function reference(gz: Uint8Array): { dims: number[]; data: Float32Array } {
  const raw = fflateGunzip(gz);
  const h = parseNiftiHeader(raw, 'ref');
  return { dims: h.dims, data: decodeVoxels(h, raw.subarray(h.voxOffset), 'ref') };
}

const same = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
};

describe('NIfTI gzip through node:zlib', () => {
  it('writes standard gzip: fflate inflates it to the encoded bytes, for every datatype', async () => {
    for (const datatype of ['float32', 'int16', 'uint8'] as const) {
      const raw = encodeNifti(vol, { datatype });
      const gz = writeNifti(vol, { datatype });
      expect(gz[0]).toBe(0x1f);
      expect(gz[1]).toBe(0x8b);
      expect(Buffer.from(fflateGunzip(gz)).equals(Buffer.from(raw))).toBe(true);
      // the async path gives the same bytes
      expect(Buffer.from(await writeNiftiAsync(vol, { datatype })).equals(Buffer.from(gz))).toBe(true);
      expect(Buffer.from(await gzipNifti(raw)).equals(Buffer.from(gz))).toBe(true);
    }
    // uncompressed on request
    expect(Buffer.from(writeNifti(vol, { gzip: false })).equals(Buffer.from(encodeNifti(vol)))).toBe(true);
    expect(Buffer.from(await writeNiftiAsync(vol, { gzip: false })).equals(Buffer.from(encodeNifti(vol)))).toBe(true);
  });

  it('returns plain Uint8Arrays owning their buffer', async () => {
    for (const b of [writeNifti(vol), await writeNiftiAsync(vol)]) {
      expect(b.constructor).toBe(Uint8Array);
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(b.byteLength);
    }
  });

  it('stores the same values as the straightforward encoder (Float32Array.from, rounding for integer types)', () => {
    const plain = (values: ArrayLike<number>, lo: number, hi: number) =>
      Array.from(values, (v) => (v !== v ? 0 : v <= lo ? lo : v >= hi ? hi : (v < 0 ? -Math.round(-v) : Math.round(v)) + 0)); // + 0: a stored integer has no -0
    const scaled = Float64Array.from(data, (v) => v * 1000);
    same(reference(writeNifti({ ...vol, data: scaled })).data, Float32Array.from(scaled));
    expect(Array.from(reference(writeNifti({ ...vol, data: scaled }, { datatype: 'int16' })).data)).toEqual(plain(scaled, -32768, 32767));
    expect(Array.from(reference(writeNifti({ ...vol, data: scaled }, { datatype: 'uint8' })).data)).toEqual(plain(scaled, 0, 255));
  });

  it('reads values equal to fflate inflate + decode, sync and async, on written maps and fixtures', async () => {
    const files = [writeNifti(vol), fflateGzip(encodeNifti(vol, { datatype: 'int16' }), { level: 9 }), new Uint8Array(readFileSync(join(FIXTURES, 'vbm_reho/reho_func4d.nii.gz')))];
    for (const gz of files) {
      const ref = reference(gz);
      const a = readNifti(gz, 'a.nii.gz');
      const b = await readNiftiAsync(gz, 'b.nii.gz');
      expect(a.header.dims).toEqual(ref.dims);
      expect(b.header).toEqual(a.header);
      same(a.data, ref.data);
      same(b.data, ref.data);
    }
    // uncompressed bytes go through the same reader
    same((await readNiftiAsync(encodeNifti(vol), 'plain.nii')).data, readNifti(writeNifti(vol), 'x').data);
  });

  it('cut and corrupt streams fail with InvalidNifti naming the file, sync and async alike', async () => {
    const gz = writeNifti(vol);
    const bad = gz.slice();
    for (let i = 20; i < bad.length - 8; i += 3) bad[i] = bad[i]! ^ 0x5a;
    const cases: [Uint8Array, RegExp][] = [
      [gz.subarray(0, 30), /truncated|nothing/],
      [gz.subarray(0, gz.length >> 1), /truncated.*23×19×17 float32/],
      [gz.subarray(0, gz.length - 12), /truncated/],
      // every voxel byte inflates, but the stream stops before its end (trailer cut): still a cut file
      [gz.subarray(0, gz.length - 9), /./],
      [bad, /./],
    ];
    for (const [bytes, why] of cases) {
      let syncErr: unknown;
      try {
        readNifti(bytes, 'cut.nii.gz');
      } catch (e) {
        syncErr = e;
      }
      expect(syncErr).toBeInstanceOf(InvalidNifti);
      expect((syncErr as Error).message).toMatch(why);
      expect((syncErr as Error).message).toContain('cut.nii.gz');
      await expect(readNiftiAsync(bytes, 'cut.nii.gz')).rejects.toThrow((syncErr as Error).message);
    }
  });
});
