/** Reading planes of a subject's 4-D func file: ranged reads of an uncompressed one, one inflating pass of a gzipped one. */
import { assertSameSpace, decodeVoxels, readNiftiHeader, slabByteRange } from '../../nifti/index.ts';
import { readGzipSlab } from '../../nifti/gzip-slab.ts';
import { readUri } from '../../storage/index.ts';
import { InvalidNifti } from '../../errors.ts';
import type { RehoContext } from './context.ts';

/** Bytes one ranged read may span (several volumes' slabs and the planes between them). */
export const MAX_SPAN_BYTES = 16 * 1024 * 1024;

/** One ranged read of a slab series: volumes t0..t1-1, bytes start..end of the file. */
export interface SlabSpan {
  t0: number;
  t1: number;
  start: number;
  end: number;
}

/**
 * The ranged reads of planes zl..zh-1 of volumes t0..t1-1 of an uncompressed 4-D file whose
 * voxel data start at `voxOffset`: consecutive volumes share a read when the planes between
 * their slabs are no more than the slab itself (so at most half the bytes read are not
 * needed) and the read stays within `maxSpan` bytes; else one read per volume.
 */
export function slabSpans(planeBytes: number, nz: number, zl: number, zh: number, t0: number, t1: number, voxOffset = 0, maxSpan = MAX_SPAN_BYTES): SlabSpan[] {
  const volume = planeBytes * nz;
  const slab = planeBytes * (zh - zl);
  const gap = volume - slab;
  const at = (t: number) => voxOffset + t * volume + zl * planeBytes;
  const perRead = gap <= slab ? Math.max(1, Math.floor((maxSpan - slab) / volume) + 1) : 1;
  const out: SlabSpan[] = [];
  for (let t = t0; t < t1; t += perRead) {
    const e = Math.min(t1, t + perRead);
    out.push({ t0: t, t1: e, start: at(t), end: at(e - 1) + slab });
  }
  return out;
}

/** Bytes the ranged reads of slabSpans take from the file. */
export function slabReadBytes(planeBytes: number, nz: number, zl: number, zh: number, volumes: number, maxSpan = MAX_SPAN_BYTES): number {
  return slabSpans(planeBytes, nz, zl, zh, 0, volumes, 0, maxSpan).reduce((a, s) => a + s.end - s.start, 0);
}

/**
 * Planes zl..zh-1 of every volume t ≥ drop of a subject's 4-D file, as float32 (x fastest,
 * volumes back to back). Uncompressed .nii is read with ranged reads (slabSpans: several
 * volumes per read when little lies between their slabs); .nii.gz is inflated in one pass
 * that keeps only those planes (memory: the compressed file plus the slab).
 */
export async function readSlabSeries(ctx: RehoContext, s: number, zl: number, zh: number, drop: number): Promise<Float32Array> {
  const subj = ctx.subjects[s]!;
  const input = `${subj.id} ${ctx.job.inputs.funcColumn}`;
  const [nx, ny, nz] = ctx.grid.dims;
  const planeVox = nx * ny;
  const regionVox = planeVox * (zh - zl);
  const nt = subj.volumes;
  if (subj.ranged) {
    const out = new Float32Array(regionVox * (nt - drop));
    const header = readNiftiHeader(await readUri(subj.func, { start: 0, end: 544 }), input);
    const first = slabByteRange(header, zl, zh, drop);
    const slabBytes = first.end - first.start;
    const planeBytes = slabBytes / (zh - zl);
    const spans = slabSpans(planeBytes, nz, zl, zh, drop, nt, header.voxOffset);
    const volumeBytes = planeBytes * nz;
    const concurrent = 16;
    for (let b = 0; b < spans.length; b += concurrent) {
      const batch = spans.slice(b, b + concurrent);
      const parts = await Promise.all(batch.map((sp) => readUri(subj.func, { start: sp.start, end: sp.end })));
      parts.forEach((raw, k) => {
        const sp = batch[k]!;
        if (raw.byteLength !== sp.end - sp.start) throw new InvalidNifti(`${input}: bytes ${sp.start}–${sp.end} asked, ${raw.byteLength} there (the file is shorter than its header says)`, input);
        for (let t = sp.t0; t < sp.t1; t++) {
          const o = (t - sp.t0) * volumeBytes;
          out.set(decodeVoxels(header, raw.subarray(o, o + slabBytes), input), (t - drop) * regionVox);
        }
      });
    }
    return out;
  }
  const slab = await readGzipSlab(await readUri(subj.func), zl, zh, drop, input);
  const ref = { ...slab.header, dims: [...ctx.grid.dims], affine: Float64Array.from(ctx.grid.affine) };
  assertSameSpace(ref, slab.header, input);
  if ((slab.header.dims[3] ?? 1) !== nt) throw new InvalidNifti(`${input} now has ${slab.header.dims[3] ?? 1} volumes; it had ${nt} when the job was validated`, input);
  return slab.data;
}
