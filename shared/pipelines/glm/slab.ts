import { fitGlm, glmModel } from '../../stats/glm.ts';
import { fContrastModel, fitF } from '../../stats/fcontrast.ts';
import { smoothnessPlaneSums, standardiseResiduals } from '../../stats/smoothness.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { keys, loadContext } from './context.ts';
import { asBytes } from '../common/bytes.ts';

export interface SlabShard {
  index: number;
  z0: number;
  z1: number;
}

/**
 * Fit every contrast's model on planes z0..z1-1. One plane below the slab (the halo)
 * is fitted too, so the smoothness sums of plane z0 see their -z neighbours; the
 * per-plane sums do not depend on where slabs are cut, which keeps results identical
 * for any slab count.
 */
export async function fitSlab(env: TaskEnv, contextKey: string, shard: SlabShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const { workDir } = ctx;
  // every output must verify (the task store checks length and checksum), else the slab is fitted again
  const done = await Promise.all(ctx.models.flatMap((_, m) => [keys.slabT(workDir, shard.index, m), keys.slabSmooth(workDir, shard.index, m)].map((k) => env.store.exists(k))));
  if (done.every(Boolean)) return { index: shard.index, skipped: true };

  const [nx, ny] = ctx.grid.dims;
  const plane = nx * ny;
  const zh = Math.max(0, shard.z0 - 1);
  const hasHalo = zh < shard.z0;
  const nzLocal = shard.z1 - zh;
  const V = plane * nzLocal;
  const range = { start: zh * plane, end: shard.z1 * plane };
  const mask = new Uint8Array(await env.store.get(keys.mask(workDir), range));
  const n = ctx.subjects.length;
  const Y = new Float32Array(n * V);
  await Promise.all(
    ctx.subjects.map(async (_, i) => {
      const bytes = await env.store.get(keys.prepared(workDir, i), { start: range.start * 4, end: range.end * 4 });
      new Uint8Array(Y.buffer, i * V * 4, V * 4).set(bytes);
    }),
  );
  for (const [m, spec] of ctx.models.entries()) {
    const model = glmModel(Float64Array.from(spec.X), spec.n, spec.p, [Float64Array.from(spec.contrast)], spec.name);
    const all = spec.n === n && spec.subjects.every((s, k) => s === k);
    const Ym = all ? Y : new Float32Array(spec.n * V);
    if (!all) spec.subjects.forEach((s, k) => Ym.set(Y.subarray(s * V, (s + 1) * V), k * V));
    const t = new Float32Array(V);
    const resid = new Float32Array(spec.n * V);
    fitGlm(model, Ym, V, mask, [t], resid);
    // an F-contrast stores F in place of t; the residuals (for the smoothness) do not depend on the contrast
    if (spec.kind === 'F') fitF(fContrastModel(Float64Array.from(spec.X), spec.n, spec.p, spec.rows!.map((r) => Float64Array.from(r)), spec.name), Ym, V, mask, t);
    standardiseResiduals(resid, spec.n, V);
    const sums = smoothnessPlaneSums(resid, mask, nx, ny, nzLocal, spec.n, hasHalo);
    await env.store.put(keys.slabT(workDir, shard.index, m), asBytes(t.subarray(hasHalo ? plane : 0)));
    await env.store.put(keys.slabSmooth(workDir, shard.index, m), asBytes(sums));
  }
  return { index: shard.index, skipped: false };
}
