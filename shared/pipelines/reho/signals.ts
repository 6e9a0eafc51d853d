import { readNifti } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { meanSignal, tissueVoxels, tissueZRange } from '../../reho/signals.ts';
import { EmptyData } from '../../errors.ts';
import { keys, loadContext } from './context.ts';
import type { RehoContext } from './context.ts';
import type { MaskSignals } from './preprocess.ts';
import { readSlabSeries } from './func-read.ts';

/**
 * One subject whose WM/CSF regressors come from masks: the mean of the func series over each
 * mask (value > params.tissueThreshold) for every kept volume (after dropping the first N,
 * before any regression). Reads only the planes the masks touch. Written once; a re-run skips.
 */
export async function rehoSignals(env: TaskEnv, contextKey: string, s: number): Promise<{ subject: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const key = keys.signals(ctx.workDir, s);
  if (await env.store.exists(key)) return { subject: s, skipped: true };
  await env.store.put(key, JSON.stringify(await maskSignals(ctx, s)));
  return { subject: s, skipped: false };
}

/**
 * The WM/CSF mask signals of subject s (the signals stage's record). `series`: planes zl..zh-1
 * of the subject's kept volumes already read (a slab shard holding the planes the masks touch);
 * without it, those planes are read here. Either way the means run over the same voxels in the
 * same order, so the record is the same.
 */
export async function maskSignals(ctx: RehoContext, s: number, series?: { data: Float32Array; zl: number; zh: number }): Promise<MaskSignals> {
  const subj = ctx.subjects[s]!;
  const p = ctx.job.params;
  const thr = p.tissueThreshold;
  const [nx, ny, nz] = ctx.grid.dims;
  const plane = nx * ny;
  const wmField = `${subj.id} WM mask ${subj.wmMask}`;
  const csfField = `${subj.id} CSF mask ${subj.csfMask}`;
  const wmVals = readNifti(await readUri(subj.wmMask!), wmField).data;
  const csfVals = subj.csfMask === subj.wmMask ? wmVals : readNifti(await readUri(subj.csfMask!), csfField).data;
  const range = tissueZRange([wmVals, csfVals], thr, plane, nz);
  if (!range) throw new EmptyData(`${wmField}: no voxel above params.tissueThreshold ${thr} in either mask`, wmField);
  const drop = ctx.steps.dropVolumes ? p.dropVolumes : 0;
  const T = subj.volumes - drop;
  let [zl, zh] = range;
  let data: Float32Array;
  if (series && series.zl <= zl && series.zh >= zh) {
    // every tissue voxel lies in planes zl..zh-1, inside the planes read
    ({ data, zl, zh } = series);
  } else data = await readSlabSeries(ctx, s, zl, zh, drop);
  const regionVox = plane * (zh - zl);
  const wm = meanSignal(data, regionVox, T, tissueVoxels(wmVals, thr, zl * plane, regionVox), wmField);
  const csf = meanSignal(data, regionVox, T, tissueVoxels(csfVals, thr, zl * plane, regionVox), csfField);
  return {
    id: subj.id,
    wmMask: subj.wmMask!,
    csfMask: subj.csfMask!,
    threshold: thr,
    wmVoxels: wm.voxels,
    csfVoxels: csf.voxels,
    wm: Array.from(wm.signal),
    csf: Array.from(csf.signal),
  };
}
