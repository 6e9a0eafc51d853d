import { writeNifti } from '../../nifti/index.ts';
import { readHeaderAt } from '../common/header.ts';
import { sidecarFromHeader, sidecarOf } from '../common/outputs.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { subjectMaps } from '../../reho/maps.ts';
import type { MaskStats } from '../../reho/kcc.ts';
import { f32 } from '../common/bytes.ts';
import { keys, loadContext, mapNames } from './context.ts';
import type { RehoPlan } from './plan.ts';

export interface SubjectStats extends MaskStats {
  id: string;
  maxReho: number;
  nonZero: number;
}

/** Stitch one subject's slabs (fixed slab order), derive mReHo, zReHo, szReHo and write the maps with their sidecars. */
export async function rehoSubjectMaps(env: TaskEnv, contextKey: string, s: number): Promise<{ subject: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const { workDir, grid } = ctx;
  const statsKey = keys.subjectStats(workDir, s);
  // skipped only when its record verifies and its maps and sidecars are in the results folder (a new run clears that folder first)
  const written = Object.values(mapNames(ctx.subjects[s]!.id)).flatMap((rel) => [rel, sidecarOf(rel)]).map((rel) => env.store.exists(`${ctx.resultsDir}/${rel}`));
  if ((await env.store.exists(statsKey)) && (await Promise.all(written)).every(Boolean)) return { subject: s, skipped: true };
  const plan = JSON.parse(await env.store.getText(keys.plan(workDir))) as RehoPlan;
  const [nx, ny, nz] = grid.dims;
  const plane = nx * ny;
  const reho = new Float32Array(plane * nz);
  const mask = new Uint8Array(plane * nz);
  for (const [k, sl] of plan.slabs.entries()) {
    reho.set(f32(await env.store.get(keys.slabReho(workDir, s, k))), sl.z0 * plane);
    mask.set(await env.store.get(keys.slabMask(workDir, s, k)), sl.z0 * plane);
  }
  const p = ctx.job.params;
  const maps = subjectMaps(reho, mask, grid.dims, grid.pixdim, p.smoothFwhmMm, p.zOrder);
  const id = ctx.subjects[s]!.id;
  const names = mapNames(id);
  const affine = Float64Array.from(grid.affine);
  // the subject's maps keep the space codes of its func image
  const space = await readHeaderAt(ctx.subjects[s]!.func, `${id} func`);
  const write = async (rel: string, data: Float32Array, description: string) => {
    const bytes = writeNifti({ dims: grid.dims, affine, pixdim: grid.pixdim, data }, { datatype: 'float32', description, xformFrom: space });
    await env.store.put(`${ctx.resultsDir}/${rel}`, bytes);
    await env.store.put(`${ctx.resultsDir}/${sidecarOf(rel)}`, sidecarFromHeader(rel, bytes));
  };
  await write(names.reho, maps.reho, `ReHo KCC ${p.neighbours} neighbours`);
  await write(names.mreho, maps.mreho, 'mReHo = ReHo / mask mean');
  await write(names.zreho, maps.zreho, 'zReHo (ddof 1)');
  await write(names.szreho, maps.szreho, `szReHo ${p.zOrder} FWHM ${p.smoothFwhmMm} mm`);
  let maxReho = 0;
  let nonZero = 0;
  for (let v = 0; v < reho.length; v++) {
    if (reho[v]! !== 0) nonZero++;
    if (reho[v]! > maxReho) maxReho = reho[v]!;
  }
  const stats: SubjectStats = { id, ...maps.stats, maxReho, nonZero };
  await env.store.put(statsKey, JSON.stringify(stats));
  return { subject: s, skipped: false };
}
