import { readNifti } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { kendallWCentred, rankRegion, rankRows } from '../../reho/kcc.ts';
import { SeriesCleaner } from '../../reho/clean.ts';
import { asBytes } from '../common/bytes.ts';
import { keys, loadContext } from './context.ts';
import type { RehoShard } from './context.ts';
import { readSlabSeries } from './func-read.ts';
import { loadMaskSignals, subjectPreproc, type MaskSignals } from './preprocess.ts';
import { maskSignals } from './signals.ts';

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
  const drop = ctx.steps.dropVolumes ? ctx.job.params.dropVolumes : 0;
  const data = await readSlabSeries(ctx, shard.subject, zl, zh, drop);
  let signals: MaskSignals | undefined;
  if (shard.signals) {
    // the subject's only slab holds every plane: its WM/CSF mask signals from the series read here, not in a stage of their own
    const key = keys.signals(workDir, shard.subject);
    signals = await maskSignals(ctx, shard.subject, { data, zl, zh });
    await env.store.put(key, JSON.stringify(signals));
  } else signals = await loadMaskSignals(env.store, ctx, shard.subject);
  const pre = await subjectPreproc(ctx, shard.subject, { signals });
  const T = pre.T;

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
