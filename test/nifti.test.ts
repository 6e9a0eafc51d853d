/**
 * NIfTI I/O. References:
 * - fixtures in data/fixtures (vbm_reho: nibabel-written .nii.gz beside raw little-endian
 *   C-ordered arrays written by the same synthetic generator, see data/fixtures/vbm_reho/README.md; atlases: real releases, AAL big-endian);
 * - nifti-reader-js as an independent header parser;
 * - NIfTI-1/NIfTI-2 headers built here byte by byte with a DataView (independently of the code
 *   under test) for scaling, offsets, sform/qform precedence, byte order and broken files.
 * Voxel values are compared exactly; affines to float32 precision where they went through a file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'fflate';
import * as niftiReader from 'nifti-reader-js';
import { describe, expect, it } from 'vitest';
import { InvalidNifti, SpaceMismatch, UnsupportedDatatype } from '../shared/errors.ts';
import {
  type NiftiHeader,
  affineToQuatern,
  assertSameSpace,
  decodeVoxels,
  invertAffine,
  isGzip,
  mmToVoxel,
  quaternToAffine,
  readNifti,
  readNiftiHeader,
  slabByteRange,
  voxelToMm,
  writeNifti,
} from '../shared/nifti/index.ts';

import { expectNamed } from './helpers/errors.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { tmpDir } from './helpers/tmp.ts';

const FIX = FIXTURES;
const fixture = (rel: string) => new Uint8Array(readFileSync(join(FIX, rel)));
const f32file = (rel: string) => {
  const b = readFileSync(join(FIX, rel));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

// ---------------------------------------------------------------------------------------------
// Independent header builders (DataView, straight from the NIfTI-1/NIfTI-2 field tables).
// ---------------------------------------------------------------------------------------------

const DT = { uint8: 2, int16: 4, int32: 8, float32: 16, complex64: 32, float64: 64, rgb24: 128, int8: 256, uint16: 512, uint32: 768, int64: 1024 } as const;
const DT_BYTES: Record<number, number> = { 2: 1, 4: 2, 8: 4, 16: 4, 32: 8, 64: 8, 128: 3, 256: 1, 512: 2, 768: 4, 1024: 8 };

/** Encode numbers as the given datatype and byte order with DataView setters. */
function encodeValues(values: number[], code: number, littleEndian: boolean): Uint8Array {
  const size = DT_BYTES[code]!;
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    const o = i * size;
    switch (code) {
      case 2: dv.setUint8(o, v); break;
      case 256: dv.setInt8(o, v); break;
      case 4: dv.setInt16(o, v, littleEndian); break;
      case 512: dv.setUint16(o, v, littleEndian); break;
      case 8: dv.setInt32(o, v, littleEndian); break;
      case 768: dv.setUint32(o, v, littleEndian); break;
      case 16: dv.setFloat32(o, v, littleEndian); break;
      case 64: dv.setFloat64(o, v, littleEndian); break;
      default: break; // unsupported types: payload bytes stay zero
    }
  });
  return out;
}

interface HdrSpec {
  dim: number[]; // dim[1..]
  datatype: number;
  pixdim?: number[]; // pixdim[0..7]
  voxOffset?: number;
  slope?: number;
  inter?: number;
  units?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: [number, number, number];
  qoffset?: [number, number, number];
  srow?: number[];
  littleEndian?: boolean;
  magic?: string;
  descrip?: string;
  data: Uint8Array; // encoded voxels
}

function buildNifti1(s: HdrSpec): Uint8Array {
  const le = s.littleEndian ?? true;
  const voxOffset = s.voxOffset ?? 352;
  const start = voxOffset === 0 ? 352 : voxOffset;
  const out = new Uint8Array(start + s.data.length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 348, le);
  dv.setInt16(40, s.dim.length, le);
  for (let i = 0; i < 7; i++) dv.setInt16(42 + 2 * i, s.dim[i] ?? 1, le);
  dv.setInt16(70, s.datatype, le);
  dv.setInt16(72, (DT_BYTES[s.datatype] ?? 0) * 8, le);
  const pix = s.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  for (let i = 0; i < 8; i++) dv.setFloat32(76 + 4 * i, pix[i] ?? 1, le);
  dv.setFloat32(108, voxOffset, le);
  dv.setFloat32(112, s.slope ?? 1, le);
  dv.setFloat32(116, s.inter ?? 0, le);
  out[123] = s.units ?? 10;
  const d = s.descrip ?? 'built by nifti.test.ts';
  for (let i = 0; i < d.length; i++) out[148 + i] = d.charCodeAt(i);
  dv.setInt16(252, s.qformCode ?? 0, le);
  dv.setInt16(254, s.sformCode ?? 0, le);
  (s.quatern ?? [0, 0, 0]).forEach((v, i) => dv.setFloat32(256 + 4 * i, v, le));
  (s.qoffset ?? [0, 0, 0]).forEach((v, i) => dv.setFloat32(268 + 4 * i, v, le));
  (s.srow ?? new Array(12).fill(0)).forEach((v, i) => dv.setFloat32(280 + 4 * i, v, le));
  const magic = s.magic ?? 'n+1';
  for (let i = 0; i < magic.length; i++) out[344 + i] = magic.charCodeAt(i);
  out.set(s.data, start);
  return out;
}

function buildNifti2(s: HdrSpec): Uint8Array {
  const le = s.littleEndian ?? true;
  const voxOffset = s.voxOffset ?? 544;
  const start = voxOffset === 0 ? 544 : voxOffset;
  const out = new Uint8Array(start + s.data.length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 540, le);
  [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a].forEach((c, i) => (out[4 + i] = c)); // "n+2\0\r\n\032\n"
  dv.setInt16(12, s.datatype, le);
  dv.setInt16(14, (DT_BYTES[s.datatype] ?? 0) * 8, le);
  dv.setBigInt64(16, BigInt(s.dim.length), le);
  for (let i = 0; i < 7; i++) dv.setBigInt64(24 + 8 * i, BigInt(s.dim[i] ?? 1), le);
  const pix = s.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  for (let i = 0; i < 8; i++) dv.setFloat64(104 + 8 * i, pix[i] ?? 1, le);
  dv.setBigInt64(168, BigInt(voxOffset), le);
  dv.setFloat64(176, s.slope ?? 1, le);
  dv.setFloat64(184, s.inter ?? 0, le);
  const d = s.descrip ?? 'nifti2 built by nifti.test.ts';
  for (let i = 0; i < d.length; i++) out[240 + i] = d.charCodeAt(i);
  dv.setInt32(344, s.qformCode ?? 0, le);
  dv.setInt32(348, s.sformCode ?? 0, le);
  (s.quatern ?? [0, 0, 0]).forEach((v, i) => dv.setFloat64(352 + 8 * i, v, le));
  (s.qoffset ?? [0, 0, 0]).forEach((v, i) => dv.setFloat64(376 + 8 * i, v, le));
  (s.srow ?? new Array(12).fill(0)).forEach((v, i) => dv.setFloat64(400 + 8 * i, v, le));
  dv.setInt32(500, s.units ?? 10, le);
  out.set(s.data, start);
  return out;
}

const MNI2 = [-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72];
const rowMajor = (srow: number[]) => [...srow, 0, 0, 0, 1];
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** The named error carrying `input`, which its message names too. */
function expectError(fn: () => unknown, cls: abstract new (...a: never[]) => Error, input: string, pattern?: RegExp): Error {
  const err = expectNamed(fn, cls, { input, ...(pattern ? { message: pattern } : {}) });
  expect(err.message).toContain(input);
  return err;
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

describe('fixtures', () => {
  it('VBM grey-matter maps equal vbm_gm_all.f32 (C-order [subject,x,y,z]) exactly', () => {
    const all = f32file('vbm_reho/vbm_gm_all.f32');
    const meta = JSON.parse(readFileSync(join(FIX, 'vbm_reho/vbm_gm_all.f32.json'), 'utf8'));
    expect(meta.shape).toEqual([24, 20, 24, 20]);
    const [ns, nx, ny, nz] = meta.shape as [number, number, number, number];
    for (let s = 0; s < ns; s++) {
      const name = `vbm_reho/vbm_gm_sub${String(s + 1).padStart(2, '0')}.nii.gz`;
      const { header: h, data } = readNifti(fixture(name), name);
      expect(h.dims).toEqual([nx, ny, nz]);
      expect(h.datatype).toBe('float32');
      expect(h.pixdim).toEqual([1.5, 1.5, 1.5]);
      expect(h.tr).toBeUndefined();
      expect(h.littleEndian).toBe(true);
      expect(h.sformCode).toBeGreaterThan(0);
      // diag(-1.5, 1.5, 1.5) plus the translation that puts the grid centre at 0 mm (the fixture generator)
      expect([h.affine[0], h.affine[5], h.affine[10], h.affine[15]]).toEqual([-1.5, 1.5, 1.5, 1]);
      for (const k of [1, 2, 4, 6, 8, 9, 12, 13, 14]) expect(h.affine[k]).toBe(0);
      expect(voxelToMm(h.affine, (nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2)).toEqual([0, 0, 0]);
      let mismatches = 0;
      for (let x = 0; x < nx; x++)
        for (let y = 0; y < ny; y++)
          for (let z = 0; z < nz; z++) {
            const ref = all[((s * nx + x) * ny + y) * nz + z]!;
            if (data[x + nx * (y + ny * z)] !== ref) mismatches++;
          }
      expect(mismatches).toBe(0);
    }
  });

  it('VBM mask equals vbm_mask.u8 and holds 3264 voxels', () => {
    const { header: h, data } = readNifti(fixture('vbm_reho/vbm_mask.nii.gz'), 'vbm_mask.nii.gz');
    const ref = fixture('vbm_reho/vbm_mask.u8');
    expect(h.datatype).toBe('uint8');
    const [nx, ny, nz] = h.dims as [number, number, number];
    expect(h.dims).toEqual([20, 24, 20]);
    let count = 0;
    for (let x = 0; x < nx; x++)
      for (let y = 0; y < ny; y++)
        for (let z = 0; z < nz; z++) {
          const v = data[x + nx * (y + ny * z)]!;
          expect(v).toBe(ref[(x * ny + y) * nz + z]);
          count += v;
        }
    expect(count).toBe(3264);
  });

  it('ReHo 4-D series: dims, TR and every value equal reho_func4d.f32', () => {
    const meta = JSON.parse(readFileSync(join(FIX, 'vbm_reho/reho_func4d.f32.json'), 'utf8'));
    const ref = f32file('vbm_reho/reho_func4d.f32');
    const { header: h, data } = readNifti(fixture('vbm_reho/reho_func4d.nii.gz'), 'reho_func4d.nii.gz');
    expect(h.dims).toEqual(meta.shape);
    expect(h.pixdim).toEqual([3, 3, 3, 2]);
    expect(h.tr).toBe(meta.TR_s);
    expect([h.affine[0], h.affine[5], h.affine[10]]).toEqual([-3, 3, 3]);
    const [nx, ny, nz, nt] = meta.shape as [number, number, number, number];
    let mismatches = 0;
    for (let x = 0; x < nx; x++)
      for (let y = 0; y < ny; y++)
        for (let z = 0; z < nz; z++)
          for (let t = 0; t < nt; t++) {
            if (data[x + nx * (y + ny * (z + nz * t))] !== ref[((x * ny + y) * nz + z) * nt + t]) mismatches++;
          }
    expect(mismatches).toBe(0);
  });

  it('AAL big-endian int16: codes of ROI_MNI_V4.txt, consistent voxel by voxel with the little-endian uint8 index file', () => {
    const name = 'AAL_ROI_MNI_V4_2mm.nii.gz';
    const { header: h, data } = readNifti(fixture(`atlases/aal/${name}`), name);
    expect(h.littleEndian).toBe(false);
    expect(h.datatype).toBe('int16');
    expect(h.bitpix).toBe(16);
    expect(h.dims).toEqual([91, 109, 91]);
    expect(Array.from(h.affine)).toEqual(rowMajor(MNI2));
    // the README: centre of voxel 0 at MNI (+90, -126, -72)
    expect(voxelToMm(h.affine, 0, 0, 0)).toEqual([90, -126, -72]);
    const codes = readFileSync(join(FIX, 'atlases/aal/ROI_MNI_V4.txt'), 'utf8')
      .trim()
      .split(/\r?\n/)
      .map((l) => Number(l.trim().split(/\s+/)[2]));
    expect(codes).toHaveLength(116);
    const indexOf = new Map(codes.map((c, i) => [c, i + 1]));
    indexOf.set(0, 0);
    const idx = readNifti(fixture('atlases/aal/AAL116_2mm_index.nii.gz'), 'AAL116_2mm_index.nii.gz');
    assertSameSpace(h, idx.header, 'AAL116_2mm_index.nii.gz');
    const seen = new Set<number>();
    let bad = 0;
    for (let v = 0; v < data.length; v++) {
      const code = data[v]!;
      seen.add(code);
      if (indexOf.get(code) !== idx.data[v]) bad++;
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(117);
  });

  it('Brainnetome 1.25 mm MPM (float32 labels): region sizes equal the voxels_1.25mm column', () => {
    const name = 'BNA_MPM_thr25_1.25mm.nii.gz';
    const { header: h, data } = readNifti(fixture(`atlases/brainnetome/${name}`), name);
    expect(h.datatype).toBe('float32');
    expect(h.dims).toEqual([145, 173, 145]);
    expect(Array.from(h.affine)).toEqual(rowMajor([-1.25, 0, 0, 90, 0, 1.25, 0, -126, 0, 0, 1.25, -72]));
    const counts = new Map<number, number>();
    let nonInteger = 0;
    for (const v of data) {
      if (!Number.isInteger(v)) nonInteger++;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect(nonInteger).toBe(0);
    const lines = readFileSync(join(FIX, 'atlases/brainnetome/BN_Atlas_246_labels.csv'), 'utf8').trim().split(/\r?\n/);
    const head = lines[0]!.split(',');
    const col = head.indexOf('voxels_1.25mm');
    expect(col).toBeGreaterThan(0);
    // the description column may hold quoted commas: count columns from the end
    const fromEnd = head.length - col;
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const label = Number(cells[0]);
      expect(counts.get(label) ?? 0).toBe(Number(cells[cells.length - fromEnd]));
    }
    expect(Math.max(...counts.keys())).toBe(246);
  });

  it('big-endian uint8 with scl_slope (SPM grey prior): values are stored bytes times the slope', () => {
    const bytes = fixture('templates/spm_grey_2mm.nii.gz');
    const { header: h, data } = readNifti(bytes, 'spm_grey_2mm.nii.gz');
    expect(h.littleEndian).toBe(false);
    expect(h.datatype).toBe('uint8');
    expect(h.sclSlope).toBeCloseTo(1 / 255, 9);
    const raw = gunzipSync(bytes).subarray(h.voxOffset);
    for (let v = 0; v < data.length; v += 97) expect(data[v]).toBe(Math.fround(raw[v]! * h.sclSlope));
  });

  it('vox_offset beyond 352 (header extension) in a big-endian mask', () => {
    const { header: h, data } = readNifti(fixture('ale/masks/MNI152_2x2x2_brainmask.nii.gz'), 'mask');
    expect(h.voxOffset).toBe(448);
    expect(new Set(data)).toEqual(new Set([0, 1]));
  });

  it('headers agree with nifti-reader-js on the fixtures', () => {
    const files = [
      'vbm_reho/vbm_gm_sub01.nii.gz',
      'vbm_reho/reho_func4d.nii.gz',
      'atlases/aal/AAL_ROI_MNI_V4_2mm.nii.gz',
      'atlases/brainnetome/BNA_MPM_thr25_1.25mm.nii.gz',
      'atlases/brainnetome/BN_Atlas_246_2mm.nii.gz',
      'templates/tpl-MNI152NLin6Asym_res-02_T1w.nii.gz',
      'templates/spm_grey_2mm.nii.gz',
      'network/AAL_618361.nii',
    ];
    const names: Record<number, string> = { 2: 'uint8', 4: 'int16', 16: 'float32' };
    for (const f of files) {
      const bytes = fixture(f);
      const ours = readNiftiHeader(bytes, f);
      const plain = isGzip(bytes) ? gunzipSync(bytes) : bytes;
      const theirs = niftiReader.readHeader(plain.slice().buffer) as niftiReader.NIFTI1;
      expect(ours.littleEndian, f).toBe(theirs.littleEndian);
      expect(ours.datatype, f).toBe(names[theirs.datatypeCode]);
      const nd = theirs.dims[0]!;
      expect(ours.dims, f).toEqual(theirs.dims.slice(1, nd + 1));
      expect(ours.pixdim, f).toEqual(theirs.pixDims.slice(1, nd + 1).map(Math.abs));
      expect(ours.voxOffset, f).toBe(theirs.vox_offset);
      // nifti-reader-js keeps bytes after the terminating NUL (AAL: "FSL3.3\0m single_subj...")
      expect(theirs.description.startsWith(ours.description), f).toBe(true);
      if (ours.sformCode >= ours.qformCode) {
        for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(ours.affine[r * 4 + c], f).toBeCloseTo(theirs.affine[r]![c]!, 5);
      }
    }
  });

  it('readNiftiHeader needs only the start of a .nii.gz', () => {
    const bytes = fixture('atlases/brainnetome/BNA_MPM_thr25_1.25mm.nii.gz');
    const h = readNiftiHeader(bytes.subarray(0, 2048), 'first 2 KiB');
    expect(h.dims).toEqual([145, 173, 145]);
    expect(() => readNifti(bytes.subarray(0, 2048), 'first 2 KiB')).toThrow(InvalidNifti);
  });
});

// ---------------------------------------------------------------------------------------------
// Header semantics on built files
// ---------------------------------------------------------------------------------------------

describe('header fields', () => {
  const vals = seq(2 * 3 * 4, (i) => i - 5);
  const base = (over: Partial<HdrSpec> = {}): HdrSpec => ({
    dim: [2, 3, 4],
    datatype: DT.int16,
    pixdim: [1, 2, 2, 2, 1, 1, 1, 1],
    sformCode: 4,
    srow: MNI2,
    data: encodeValues(vals, DT.int16, over.littleEndian ?? true),
    ...over,
  });

  it('scl_slope 2 and scl_inter 10 on int16 scale every voxel', () => {
    const { header: h, data } = readNifti(buildNifti1(base({ slope: 2, inter: 10 })), 'scaled.nii');
    expect([h.sclSlope, h.sclInter]).toEqual([2, 10]);
    expect(Array.from(data)).toEqual(vals.map((v) => v * 2 + 10));
  });

  it('scl_slope NaN or 0 means no scaling (the intercept is then ignored)', () => {
    for (const slope of [NaN, 0]) {
      const { header: h, data } = readNifti(buildNifti1(base({ slope, inter: 7 })), 'unscaled.nii');
      expect([h.sclSlope, h.sclInter]).toEqual([1, 0]);
      expect(Array.from(data)).toEqual(vals);
    }
  });

  it('big-endian files of every supported datatype decode like little-endian ones', () => {
    const values: Record<number, number[]> = {
      [DT.uint8]: [0, 1, 200, 255],
      [DT.int8]: [-128, -1, 0, 127],
      [DT.int16]: [-32768, -2, 300, 32767],
      [DT.uint16]: [0, 1, 40000, 65535],
      [DT.int32]: [-2147483648, -7, 70000, 16777216],
      [DT.uint32]: [0, 3, 4000000000, 16777216],
      [DT.float32]: [-1.5, 0.1, 3e38, NaN],
      [DT.float64]: [-1.5, 0.1, 1e-3, 12345.678],
    };
    for (const [code, v] of Object.entries(values)) {
      for (const littleEndian of [true, false]) {
        const bytes = buildNifti1({ dim: [4, 1, 1], datatype: Number(code), littleEndian, data: encodeValues(v, Number(code), littleEndian) });
        const { header, data } = readNifti(bytes, `dt${code}.nii`);
        expect(header.littleEndian).toBe(littleEndian);
        expect(header.bitpix).toBe(DT_BYTES[Number(code)]! * 8);
        expect(Array.from(data), `datatype ${code}, ${littleEndian ? 'LE' : 'BE'}`).toEqual(v.map(Math.fround));
      }
    }
  });

  it('vox_offset 0 in a single file means 352', () => {
    const { header: h, data } = readNifti(buildNifti1(base({ voxOffset: 0 })), 'zero-offset.nii');
    expect(h.voxOffset).toBe(352);
    expect(Array.from(data)).toEqual(vals);
  });

  it('the sform is preferred over a disagreeing qform', () => {
    const bytes = buildNifti1(base({ sformCode: 2, srow: MNI2, qformCode: 1, quatern: [0, 0, 0], qoffset: [5, 6, 7] }));
    const h = readNiftiHeader(bytes, 'both.nii');
    expect([h.sformCode, h.qformCode]).toEqual([2, 1]);
    expect(Array.from(h.affine)).toEqual(rowMajor(MNI2));
  });

  it('qform only: 90° rotation about z with qfac -1', () => {
    // quaternion (a, b, c, d) = (cos 45°, 0, 0, sin 45°): x -> y, y -> -x; qfac -1 flips k.
    const s = Math.SQRT1_2;
    const bytes = buildNifti1(base({ sformCode: 0, srow: undefined, qformCode: 1, quatern: [0, 0, s], qoffset: [10, -20, 30], pixdim: [-1, 2, 3, 4, 1, 1, 1, 1] }));
    const h = readNiftiHeader(bytes, 'qform.nii');
    const expected = [0, -3, 0, 10, 2, 0, 0, -20, 0, 0, -4, 30, 0, 0, 0, 1];
    expected.forEach((e, k) => expect(h.affine[k]).toBeCloseTo(e, 6));
    expect(h.pixdim).toEqual([2, 3, 4]);
  });

  it('neither sform nor qform: diag(pixdim)', () => {
    const h = readNiftiHeader(buildNifti1(base({ sformCode: 0, pixdim: [1, 2.5, 3, 4, 1, 1, 1, 1] })), 'analyze-style.nii');
    expect(Array.from(h.affine)).toEqual([2.5, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1]);
  });

  it('dims: trailing singletons dropped, fewer than 3 padded; TR from the time unit', () => {
    const one = encodeValues(seq(60, (i) => i), DT.uint8, true);
    let h = readNiftiHeader(buildNifti1({ dim: [3, 4, 5, 1, 1], datatype: DT.uint8, data: one }), 'a.nii');
    expect(h.dims).toEqual([3, 4, 5]);
    expect(h.tr).toBeUndefined();
    h = readNiftiHeader(buildNifti1({ dim: [60], datatype: DT.uint8, data: one }), 'b.nii');
    expect(h.dims).toEqual([60, 1, 1]);
    const cases: [number, number, number | undefined][] = [
      [2 | 8, 2.5, 2.5], // seconds
      [2 | 16, 2500, 2.5], // milliseconds
      [2 | 24, 2.5e6, 2.5], // microseconds
      [2, 3, 3], // unknown time unit: seconds assumed
      [2 | 32, 3, undefined], // Hz: the 4th axis is not time
    ];
    for (const [units, stored, tr] of cases) {
      h = readNiftiHeader(buildNifti1({ dim: [1, 2, 3, 10], datatype: DT.uint8, units, pixdim: [1, 1, 1, 1, stored, 1, 1, 1], data: one }), 'c.nii');
      expect(h.dims).toEqual([1, 2, 3, 10]);
      expect(h.pixdim[3]).toBe(stored);
      if (tr === undefined) expect(h.tr).toBeUndefined();
      else expect(h.tr).toBeCloseTo(tr, 9);
    }
  });

  it('NIfTI-2 (built here: 540-byte header, int64 dims, float64 fields), both byte orders', () => {
    const dims = [3, 4, 2, 2];
    const v = seq(48, (i) => i * 0.25 - 3);
    for (const littleEndian of [true, false]) {
      const srow = [0, -1.5, 0, 12.5, 1.25, 0, 0, -30, 0, 0, 2, 7.125];
      const bytes = buildNifti2({
        dim: dims,
        datatype: DT.float64,
        pixdim: [1, 1.25, 1.5, 2, 0.8, 1, 1, 1],
        sformCode: 3,
        srow,
        qformCode: 1,
        quatern: [0, 0, 0],
        slope: 4,
        inter: 1,
        littleEndian,
        data: encodeValues(v, DT.float64, littleEndian),
      });
      const { header: h, data } = readNifti(bytes, 'image.nii');
      expect(h.version).toBe(2);
      expect(h.littleEndian).toBe(littleEndian);
      expect(h.dims).toEqual(dims);
      expect(h.pixdim).toEqual([1.25, 1.5, 2, 0.8]);
      expect(h.tr).toBe(0.8);
      expect(h.voxOffset).toBe(544);
      expect(h.description).toBe('nifti2 built by nifti.test.ts');
      expect(Array.from(h.affine)).toEqual(rowMajor(srow)); // float64 fields: exact
      expect(Array.from(data)).toEqual(v.map((x) => Math.fround(x * 4 + 1)));
      const gz = gzipSync(bytes);
      expect(Array.from(readNifti(gz, 'image.nii.gz').data)).toEqual(Array.from(data));
    }
    const zero = readNiftiHeader(buildNifti2({ dim: [2, 2, 2], datatype: DT.uint8, voxOffset: 0, data: new Uint8Array(8) }), 'n2.nii');
    expect(zero.voxOffset).toBe(544);
  });
});

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

describe('writeNifti', () => {
  const dims = [5, 4, 3];
  const n = 60;
  const affine = Float64Array.from([-2, 0, 0, 90.5, 0, 2, 0, -126.25, 0, 0, 2.5, -72, 0, 0, 0, 1]);
  const values = seq(n, (i) => (i % 7) * 1.25 - 3.1 + i);

  for (const datatype of ['float32', 'int16', 'uint8'] as const) {
    for (const gzip of [true, false]) {
      it(`round trip ${datatype} ${gzip ? '.nii.gz' : '.nii'}: values, affine (sform and qform), header`, () => {
        const bytes = writeNifti({ dims, affine, data: values }, { datatype, gzip, description: 'round trip' });
        expect(isGzip(bytes)).toBe(gzip);
        const size = datatype === 'float32' ? 4 : datatype === 'int16' ? 2 : 1;
        const plain = gzip ? gunzipSync(bytes) : bytes;
        expect(plain.length).toBe(352 + n * size);
        const { header: h, data } = readNifti(bytes, 'out.nii');
        expect(h.version).toBe(1);
        expect(h.dims).toEqual(dims);
        expect(h.datatype).toBe(datatype);
        expect(h.littleEndian).toBe(true);
        expect(h.voxOffset).toBe(352);
        expect([h.sformCode, h.qformCode]).toEqual([4, 4]);
        expect(h.description).toBe('round trip');
        expect(h.pixdim).toEqual([2, 2, 2.5]);
        expect(Array.from(h.affine)).toEqual(Array.from(affine, Math.fround));
        const expected =
          datatype === 'float32'
            ? values.map(Math.fround)
            : values.map((v) => Math.min(datatype === 'uint8' ? 255 : 32767, Math.max(datatype === 'uint8' ? 0 : -32768, Math.sign(v) * Math.round(Math.abs(v)))));
        expect(Array.from(data)).toEqual(expected);
        // the qform alone reproduces the affine: clear sform_code (bytes 254-255) and re-read
        const patched = plain.slice();
        new DataView(patched.buffer).setInt16(254, 0, true);
        const q = readNiftiHeader(patched, 'qform-only.nii');
        affine.forEach((e, k) => expect(q.affine[k]).toBeCloseTo(e, 5));
        // an independent reader sees the same header
        const theirs = niftiReader.readHeader(plain.slice().buffer) as niftiReader.NIFTI1;
        expect(theirs.dims.slice(0, 4)).toEqual([3, ...dims]);
        expect(theirs.vox_offset).toBe(352);
        expect(theirs.affine[0]![3]).toBeCloseTo(90.5, 5);
      });
    }
  }

  it('int16/uint8: rounds half away from zero, clamps, NaN -> 0', () => {
    const d = [1.5, -1.5, 40000, -40000, NaN, 2.4, Infinity, -Infinity];
    const i16 = readNifti(writeNifti({ dims: [8, 1, 1], affine, data: d }, { datatype: 'int16' }), 'i16').data;
    expect(Array.from(i16)).toEqual([2, -2, 32767, -32768, 0, 2, 32767, -32768]);
    const u8 = readNifti(writeNifti({ dims: [8, 1, 1], affine, data: d }, { datatype: 'uint8' }), 'u8').data;
    expect(Array.from(u8)).toEqual([2, 0, 255, 0, 0, 2, 255, 0]);
    const f = readNifti(writeNifti({ dims: [8, 1, 1], affine, data: d }), 'f32').data;
    expect(Number.isNaN(f[4])).toBe(true);
  });

  it('4-D with TR, intent, xformCode and an oblique affine survive a round trip', () => {
    const th = 0.3;
    const oblique = Float64Array.from([
      2 * Math.cos(th), -3 * Math.sin(th), 0, -10,
      2 * Math.sin(th), 3 * Math.cos(th), 0, 20,
      0, 0, -1.5, 5,
      0, 0, 0, 1,
    ]);
    const data = new Float32Array(2 * 3 * 4 * 5).map((_, i) => i / 3);
    const bytes = writeNifti(
      { dims: [2, 3, 4, 5], affine: oblique, tr: 2.5, data },
      { intent: { code: 3, p1: 21, name: 'tstat' }, xformCode: 2 },
    );
    const { header: h, data: back } = readNifti(bytes, 'stat.nii.gz');
    expect(h.dims).toEqual([2, 3, 4, 5]);
    expect(h.tr).toBe(2.5);
    expect([h.sformCode, h.qformCode]).toEqual([2, 2]);
    expect(h.intent).toEqual({ code: 3, p1: 21, p2: 0, p3: 0, name: 'tstat' });
    expect(Array.from(back)).toEqual(Array.from(data));
    const plain = gunzipSync(bytes);
    new DataView(plain.buffer).setInt16(254, 0, true);
    const q = readNiftiHeader(plain, 'qform.nii');
    oblique.forEach((e, k) => expect(q.affine[k]).toBeCloseTo(e, 5));
  });

  it('output is deterministic and readable after a trip through the file system', () => {
    const a = writeNifti({ dims, affine, data: values });
    const b = writeNifti({ dims, affine, data: values });
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const dir = tmpDir('neuroburst-nifti-');
    writeFileSync(join(dir, 'x.nii.gz'), a);
    const back = readNifti(new Uint8Array(readFileSync(join(dir, 'x.nii.gz'))), 'x.nii.gz');
    expect(Array.from(back.data)).toEqual(values.map(Math.fround));
  });

  it('rejects data whose length does not match dims', () => {
    expect(() => writeNifti({ dims: [2, 2, 2], affine, data: [1, 2, 3] })).toThrow(/need 8 values/);
  });
});

// ---------------------------------------------------------------------------------------------
// Broken input -> named errors
// ---------------------------------------------------------------------------------------------

describe('invalid files', () => {
  const good = buildNifti1({ dim: [10, 10, 10], datatype: DT.float32, sformCode: 4, srow: MNI2, data: encodeValues(seq(1000, (i) => i), DT.float32, true) });
  const goodGz = gzipSync(good);

  it('empty and tiny files', () => {
    expectError(() => readNifti(new Uint8Array(0), 'empty.nii'), InvalidNifti, 'empty.nii', /empty/);
    expectError(() => readNiftiHeader(new Uint8Array(0), 'empty.nii.gz'), InvalidNifti, 'empty.nii.gz', /empty/);
    expectError(() => readNifti(new Uint8Array([1, 2]), 'two.nii'), InvalidNifti, 'two.nii');
  });

  it('non-NIfTI bytes: text, wrong magic, ANALYZE-style header, .hdr/.img pair', () => {
    const text = new TextEncoder().encode('subject,group\n'.repeat(100));
    expectError(() => readNifti(text, 'participants.tsv'), InvalidNifti, 'participants.tsv', /348.*540/);
    expectError(() => readNifti(gzipSync(text), 'notnifti.nii.gz'), InvalidNifti, 'notnifti.nii.gz', /header size/);
    const wrong = good.slice();
    wrong.set([0x78, 0x79, 0x7a], 344);
    // the bytes found are file contents: named by position, never quoted
    const magicErr = expectError(() => readNifti(wrong, 'wrong-magic.nii'), InvalidNifti, 'wrong-magic.nii', /magic.*"n\+1"/);
    expect(magicErr.message).not.toContain('xyz');
    const analyze = good.slice();
    analyze.fill(0, 344, 348);
    expectError(() => readNifti(analyze, 'old.img'), InvalidNifti, 'old.img', /ANALYZE/);
    const pair = good.slice();
    pair.set([0x6e, 0x69, 0x31], 344);
    expectError(() => readNiftiHeader(pair, 'pair.hdr'), InvalidNifti, 'pair.hdr', /\.hdr \+ \.img/);
  });

  it('truncated .nii: header cut, and voxel data shorter than the header says', () => {
    expectError(() => readNifti(good.subarray(0, 200), 'cut-header.nii'), InvalidNifti, 'cut-header.nii', /348 bytes.*200/);
    const err = expectError(() => readNifti(good.subarray(0, good.length - 1), 'cut.nii'), InvalidNifti, 'cut.nii', /truncated/);
    expect(err.message).toMatch(/10×10×10 float32/);
    expect(err.message).toMatch(/4352 bytes/);
    // the header itself is still readable (ranged reads fetch only the header)
    expect(readNiftiHeader(good.subarray(0, 352), 'header-only.nii').dims).toEqual([10, 10, 10]);
  });

  it('cut gzip streams', () => {
    for (const cut of [10, 30, 200, Math.floor(goodGz.length / 2), goodGz.length - 12]) {
      expectError(() => readNifti(goodGz.subarray(0, cut), `cut${cut}.nii.gz`), InvalidNifti, `cut${cut}.nii.gz`, /truncated|nothing/);
    }
    const big = fixture('vbm_reho/reho_func4d.nii.gz');
    expectError(() => readNifti(big.subarray(0, big.length >> 1), 'reho.nii.gz'), InvalidNifti, 'reho.nii.gz', /truncated.*12×12×10×120 float32/);
    // a header asking for far more than the compressed size allows is refused before allocating
    const huge = gzipSync(buildNifti1({ dim: [30000, 30000, 30000], datatype: DT.float32, data: new Uint8Array(1000) }));
    expectError(() => readNifti(huge, 'huge.nii.gz'), InvalidNifti, 'huge.nii.gz', /30000×30000×30000 float32.*more than a gzip file/);
  });

  it('corrupt gzip data', () => {
    const bad = goodGz.slice();
    for (let i = 20; i < bad.length - 8; i += 3) bad[i] = bad[i]! ^ 0x5a;
    expectError(() => readNifti(bad, 'corrupt.nii.gz'), InvalidNifti, 'corrupt.nii.gz');
  });

  it('unsupported datatypes name the code and the file', () => {
    for (const [code, label] of [[DT.complex64, 'complex64'], [DT.rgb24, 'RGB24'], [DT.int64, 'int64'], [9999, 'not a NIfTI datatype']] as const) {
      const bytes = buildNifti1({ dim: [2, 2, 2], datatype: code, data: new Uint8Array(64) });
      const err = expectError(() => readNifti(bytes, `dt${code}.nii`), UnsupportedDatatype, `dt${code}.nii`);
      expect(err.message).toContain(`code ${code}`);
      expect(err.message).toContain(label);
      expect(err.name).toBe('UnsupportedDatatype');
    }
  });

  it('bad dimensions', () => {
    expectError(() => readNiftiHeader(buildNifti1({ dim: [2, 0, 2], datatype: DT.uint8, data: new Uint8Array(0) }), 'zero.nii'), InvalidNifti, 'zero.nii', /dimension 2 has size 0/);
    expectError(() => readNiftiHeader(buildNifti1({ dim: [2, 2, 2, 1, 3], datatype: DT.uint8, data: new Uint8Array(24) }), '5d.nii'), InvalidNifti, '5d.nii', /5-D/);
  });
});

// ---------------------------------------------------------------------------------------------
// Ranged reads: slabByteRange + decodeVoxels
// ---------------------------------------------------------------------------------------------

describe('slabByteRange + decodeVoxels', () => {
  it('planes of a big-endian scaled int16 4-D file match readNifti', () => {
    const [nx, ny, nz, nt] = [3, 4, 5, 3];
    const v = seq(nx * ny * nz * nt, (i) => (i * 37) % 1001 - 500);
    const bytes = buildNifti1({ dim: [nx, ny, nz, nt], datatype: DT.int16, littleEndian: false, slope: 0.5, inter: -3, voxOffset: 400, data: encodeValues(v, DT.int16, false) });
    const whole = readNifti(bytes, 'four-d.nii');
    const plane = nx * ny;
    for (let t = 0; t < nt; t++) {
      for (const [z0, z1] of [[0, 1], [1, 4], [0, nz], [4, 5]] as const) {
        const { start, end } = slabByteRange(whole.header, z0, z1, t);
        expect(end - start).toBe((z1 - z0) * plane * 2);
        // an odd byteOffset on purpose: decodeVoxels must not rely on alignment
        const unaligned = new Uint8Array(end - start + 1).subarray(1);
        unaligned.set(bytes.subarray(start, end));
        const got = decodeVoxels(whole.header, unaligned, 'four-d.nii');
        const from = (t * nz + z0) * plane;
        expect(Array.from(got)).toEqual(Array.from(whole.data.subarray(from, from + (z1 - z0) * plane)));
      }
    }
    expect(slabByteRange(whole.header, 2, 3).start).toBe(400 + 2 * plane * 2); // t defaults to 0
    expect(() => slabByteRange(whole.header, 0, nz + 1)).toThrow(RangeError);
    expect(() => slabByteRange(whole.header, 2, 2)).toThrow(RangeError);
    expect(() => slabByteRange(whole.header, 0, 1, nt)).toThrow(RangeError);
    expectError(() => decodeVoxels(whole.header, bytes.subarray(400, 403), 'four-d.nii'), InvalidNifti, 'four-d.nii', /multiple of 2 bytes/);
  });

  it('planes of the decompressed ReHo series (float32) match readNifti', () => {
    const plain = gunzipSync(fixture('vbm_reho/reho_func4d.nii.gz'));
    const whole = readNifti(plain, 'reho_func4d.nii');
    const [nx, ny, nz] = whole.header.dims as [number, number, number];
    for (const t of [0, 57, 119]) {
      const { start, end } = slabByteRange(whole.header, 3, 8, t);
      const got = decodeVoxels(whole.header, plain.subarray(start, end), 'reho_func4d.nii');
      const from = (t * nz + 3) * nx * ny;
      expect(got).toEqual(whole.data.subarray(from, from + 5 * nx * ny));
    }
  });

  it('decoding 2M float32 voxels returns an exact copy (speed is measured in npm run bench, not here)', () => {
    const n = 2_000_000;
    const src = new Float32Array(n);
    for (let i = 0; i < n; i++) src[i] = Math.sin(i);
    const raw = new Uint8Array(src.buffer);
    const header = readNiftiHeader(buildNifti1({ dim: [100, 100, 200], datatype: DT.float32, data: new Uint8Array(0) }), 'big.nii');
    const out = decodeVoxels(header, raw, 'big.nii');
    expect(out.length).toBe(n);
    expect(Buffer.compare(Buffer.from(out.buffer), Buffer.from(src.buffer))).toBe(0);
    expect(out.buffer).not.toBe(src.buffer); // a copy, not a view of the caller's bytes
  });
});

// ---------------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------------

describe('affine helpers', () => {
  const mni = Float64Array.from(rowMajor(MNI2));

  it('voxelToMm / mmToVoxel on the MNI 2 mm grid', () => {
    expect(voxelToMm(mni, 45, 63, 36)).toEqual([0, 0, 0]);
    expect(mmToVoxel(mni, 0, 0, 0)).toEqual([45, 63, 36]);
    expect(mmToVoxel(mni, -39, -7, 50)).toEqual([64.5, 59.5, 61]);
  });

  it('invertAffine of an oblique affine, and singular input', () => {
    const a = Float64Array.from([0.9, -0.3, 0.1, 5, 0.2, 1.1, -0.4, -7, 0.05, 0.3, 2.2, 11, 0, 0, 0, 1]);
    const inv = invertAffine(a);
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * inv[k * 4 + c]!;
        expect(s).toBeCloseTo(r === c ? 1 : 0, 12);
      }
    const [x, y, z] = voxelToMm(a, 3.5, -2, 7);
    mmToVoxel(a, x, y, z).forEach((v, k) => expect(v).toBeCloseTo([3.5, -2, 7][k]!, 10));
    expect(() => invertAffine(Float64Array.from([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]))).toThrow(RangeError);
  });

  it('quaternToAffine: identity, and the x-flipped MNI template (b, c, d) = (0, 1, 0), qfac -1', () => {
    expect(Array.from(quaternToAffine(0, 0, 0, [1, 2, 3], [2, 3, 4], 1))).toEqual([2, 0, 0, 1, 0, 3, 0, 2, 0, 0, 4, 3, 0, 0, 0, 1]);
    const q = quaternToAffine(0, 1, 0, [90, -126, -72], [2, 2, 2], -1);
    expect(Array.from(q, (v) => v + 0)).toEqual(rowMajor(MNI2));
    const back = affineToQuatern(mni);
    expect([back.b, back.c, back.d, back.qfac]).toEqual([0, 1, 0, -1]);
    expect(back.pixdim).toEqual([2, 2, 2]);
  });

  it('assertSameSpace: equal grids pass, affine within 1e-3 mm passes, beyond fails, other dims fail', () => {
    const h = (dims: number[], affine: Float64Array): NiftiHeader => ({
      version: 1, dims, pixdim: [2, 2, 2], tr: undefined, datatype: 'float32', bitpix: 32, sclSlope: 1, sclInter: 0,
      affine, sformCode: 4, qformCode: 4, voxOffset: 352, littleEndian: true, description: '',
    });
    const ref = h([91, 109, 91], mni);
    const shifted = (d: number) => Float64Array.from(mni, (v, k) => (k === 3 ? v + d : v));
    assertSameSpace(ref, h([91, 109, 91], mni), 'same.nii');
    assertSameSpace(ref, h([91, 109, 91, 40], shifted(9e-4)), 'close.nii'); // 4-D against 3-D: only space matters
    const e1 = expectError(() => assertSameSpace(ref, h([91, 109, 91], shifted(2e-3)), 'moved.nii'), SpaceMismatch, 'moved.nii', /affine/);
    expect(e1.name).toBe('SpaceMismatch');
    expectError(() => assertSameSpace(ref, h([61, 73, 61], mni), 'sub-03.nii.gz', 1e-3, 'mask.nii.gz'), SpaceMismatch, 'sub-03.nii.gz', /61×73×61.*mask\.nii\.gz.*91×109×91/);
    assertSameSpace(ref, h([91, 109, 91], shifted(0.05)), 'loose.nii', 0.1);
    const flipped = Float64Array.from(mni, (v, k) => (k === 0 ? -v : v));
    expectError(() => assertSameSpace(ref, h([91, 109, 91], flipped), 'flipped.nii'), SpaceMismatch, 'flipped.nii');
  });
});
