import { assertSameSpace, decodeVoxels, readNifti, readNiftiHeader, slabByteRange } from '../../nifti/index.ts';
import { readGzipSlab } from '../../nifti/gzip-slab.ts';
import { readUri } from '../../storage/index.ts';
import { InvalidNifti } from '../../errors.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { kendallWCentred, rankRegion, rankRows } from '../../reho/kcc.ts';
import { SeriesCleaner } from '../../reho/clean.ts';
import { asBytes } from '../common/bytes.ts';
import { keys, loadContext } from './context.ts';
import type { RehoContext, RehoShard } from './context.ts';
import { loadMaskSignals, subjectPreproc } from './preprocess.ts';

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

/**
 * One subject × slab: read planes z0−1..z1 (one-voxel halo), clean each in-mask series
 * (nuisance regression, band-pass: SeriesCleaner, within 1e-9 of regressOut + IdealBandpass),
 * rank it, and compute Kendall's W for planes z0..z1−1. Only in-mask voxels are ranked. Every
 * voxel's result depends only on its own and its neighbours' series, and the cleaner pairs
 * series within grid rows (whole rows lie in every slab that holds them), so any slab cut
 * gives bit-identical maps.
 */
export async function rehoSlab(env: TaskEnv, contextKey: string, shard: RehoShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const { workDir } = ctx;
  const outKey = keys.slabReho(workDir, shard.subject, shard.slab);
  if (await env.store.exists(outKey)) return { index: shard.index, skipped: true };
  const [nx, ny, nz] = ctx.grid.dims;
  const plane = nx * ny;
  const zl = Math.max(0, shard.z0 - 1);
  const zh = Math.min(nz, shard.z1 + 1);
  const regionVox = plane * (zh - zl);
  const pre = await subjectPreproc(ctx, shard.subject, { signals: await loadMaskSignals(env.store, ctx, shard.subject) });
  const T = pre.T;
  const data = await readSlabSeries(ctx, shard.subject, zl, zh, pre.drop);

  // the mask of the region: the user's mask, else voxels whose kept series is finite and not all zero
  const mask = new Uint8Array(regionVox);
  if (ctx.maskUri) {
    const m = readNifti(await readUri(ctx.maskUri), 'inputs.mask').data;
    for (let v = 0; v < regionVox; v++) {
      const x = m[v + zl * plane]!;
      mask[v] = x !== 0 && Number.isFinite(x) ? 1 : 0;
    }
  } else {
    // volume by volume (contiguous reads): bit 1 = some value non-zero, bit 2 = some value non-finite
    const flags = new Uint8Array(regionVox);
    for (let t = 0; t < T; t++) {
      const o = t * regionVox;
      for (let v = 0; v < regionVox; v++) {
        const x = data[o + v]!;
        if (x !== 0) flags[v]! |= x - x === 0 ? 1 : 2;
      }
    }
    for (let v = 0; v < regionVox; v++) mask[v] = flags[v] === 1 ? 1 : 0;
  }
  const index = new Int32Array(regionVox).fill(-1);
  let count = 0;
  for (let v = 0; v < regionVox; v++) if (mask[v]) index[v] = count++;

  // clean (nuisance regression + band-pass, two series per transform, paired within grid rows) and rank
  const cleaner = pre.model || pre.bandpass ? new SeriesCleaner(T, pre.model, pre.bandpass) : undefined;
  const ranks = rankRows(count, T, nx);
  rankRegion(data, regionVox, T, index, nx, cleaner, ranks);
  const out = new Float32Array((shard.z1 - shard.z0) * plane);
  kendallWCentred(ranks, index, { nx, ny, nzLocal: zh - zl, z0Global: zl, nzGlobal: nz }, ctx.job.params.neighbours, shard.z0 - zl, shard.z1 - zl, out);
  const off = (shard.z0 - zl) * plane;
  await env.store.put(keys.slabMask(workDir, shard.subject, shard.slab), mask.slice(off, off + out.length));
  await env.store.put(outKey, asBytes(out));
  return { index: shard.index, skipped: false };
}
