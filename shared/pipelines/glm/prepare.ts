import { EmptyData } from '../../errors.ts';
import { assertSameSpace, readNifti } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import { smoothSpm } from '../../volume/smooth.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { keys, loadContext } from './context.ts';
import { asBytes } from '../common/bytes.ts';

/**
 * Read one subject map, check it against the job grid, smooth it with SPM's kernel
 * and store it as raw float32 (NIfTI voxel order) so slab shards can read byte ranges.
 * Voxels that were not finite in the input stay NaN after smoothing, so the mask step
 * can exclude them. Skips work already done (resume).
 */
export async function prepareSubject(env: TaskEnv, contextKey: string, index: number): Promise<{ index: number; nonFinite: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const out = keys.prepared(ctx.workDir, index);
  if (await env.store.exists(out)) return { index, nonFinite: 0, skipped: true };
  const subj = ctx.subjects[index]!;
  const input = `${ctx.job.inputs.participants} (${subj.id}) ${ctx.job.inputs.mapColumn}`;
  const vol = readNifti(await readUri(subj.map), input);
  const [nx, ny, nz] = ctx.grid.dims;
  const refHeader = { ...vol.header, dims: [nx, ny, nz], affine: Float64Array.from(ctx.grid.affine) };
  assertSameSpace(refHeader, vol.header, input);
  const data = vol.data;
  let nonFinite = 0;
  let nonZero = 0;
  for (let v = 0; v < data.length; v++) {
    const x = data[v]!;
    if (!Number.isFinite(x)) nonFinite++;
    else if (x !== 0) nonZero++;
  }
  if (nonZero === 0) {
    throw new EmptyData(`${input}: the map holds no finite non-zero voxel (${nonFinite} non-finite)`, input);
  }
  const fwhm = ctx.job.params.smoothFwhmMm;
  const result = fwhm > 0 ? smoothSpm(data, ctx.grid.dims, ctx.grid.pixdim, fwhm) : Float32Array.from(data);
  if (nonFinite > 0) {
    for (let v = 0; v < data.length; v++) if (!Number.isFinite(data[v]!)) result[v] = NaN;
  }
  await env.store.put(out, asBytes(result));
  return { index, nonFinite, skipped: false };
}
