import { EmptyData } from '../../errors.ts';
import { readNifti } from '../../nifti/index.ts';
import { readUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { keys, loadContext } from './context.ts';
import { f32 } from '../common/bytes.ts';
import type { GlmContext } from './context.ts';
import { MIN_SLABS, planSlabs } from '../common/shards.ts';
import { packData } from './permute.ts';
import { fanOut, type FanOut } from '../common/fanout.ts';

export interface MaskInfo {
  voxels: number;
  /** in the user mask (or passing the rule) but excluded because some subject is not finite there */
  excludedNonFinite: number;
  source: 'inputs.mask' | 'maskRule';
}

export interface MaskResult {
  /** the slab shards (Distributed Map); the slab list itself is persisted at keys.slabs for the reducer */
  slabs: FanOut;
  voxels: number;
}

/**
 * The analysis mask: the user's mask (non-zero) or the mask rule, minus voxels where any
 * subject is not finite. Then plan the slabs (contiguous z ranges, balanced by mask voxels).
 */
export async function buildMask(env: TaskEnv, contextKey: string): Promise<MaskResult> {
  const ctx: GlmContext = await loadContext(env.store, contextKey);
  const [nx, ny, nz] = ctx.grid.dims;
  const nVox = nx * ny * nz;
  const n = ctx.subjects.length;
  const rule = ctx.job.params.maskRule;
  const candidate = new Uint8Array(nVox);
  if (ctx.maskUri) {
    const m = readNifti(await readUri(ctx.maskUri), 'inputs.mask').data;
    for (let v = 0; v < nVox; v++) candidate[v] = m[v]! !== 0 && Number.isFinite(m[v]!) ? 1 : 0;
  } else candidate.fill(1);
  const finite = new Uint8Array(nVox).fill(1);
  const nonzero = new Uint8Array(nVox).fill(1);
  const anyNonzero = new Uint8Array(nVox);
  const sum = new Float64Array(nVox);
  for (let i = 0; i < n; i++) {
    const y = f32(await env.store.get(keys.prepared(ctx.workDir, i)));
    for (let v = 0; v < nVox; v++) {
      const x = y[v]!;
      if (Number.isNaN(x)) finite[v] = 0;
      else {
        if (x === 0) nonzero[v] = 0;
        else anyNonzero[v] = 1;
        sum[v] += x;
      }
    }
  }
  const mask = new Uint8Array(nVox);
  let voxels = 0;
  let excludedNonFinite = 0;
  for (let v = 0; v < nVox; v++) {
    if (!candidate[v]) continue;
    if (!finite[v]) {
      excludedNonFinite++;
      continue;
    }
    if (!ctx.maskUri) {
      if (rule.allNonzero && !nonzero[v]) continue;
      if (rule.minMean !== null && sum[v]! / n < rule.minMean) continue;
    } else if (!anyNonzero[v]) {
      continue; // DPABI fits only where the data are not all zero
    }
    mask[v] = 1;
    voxels++;
  }
  if (voxels === 0) {
    throw new EmptyData(
      ctx.maskUri ? 'the analysis mask is empty: no voxel of inputs.mask has finite data in every subject' : 'the mask rule keeps no voxel; check params.maskRule or give inputs.mask',
      ctx.maskUri ? 'inputs.mask' : 'params.maskRule',
    );
  }
  const info: MaskInfo = { voxels, excludedNonFinite, source: ctx.maskUri ? 'inputs.mask' : 'maskRule' };
  await env.store.put(keys.mask(ctx.workDir), mask);
  if (ctx.job.params.inference.permutation) await packData(env, ctx, mask);
  await env.store.put(keys.maskInfo(ctx.workDir), JSON.stringify(info));
  const plane = nx * ny;
  const planeCounts = Array.from({ length: nz }, (_, z) => {
    let c = 0;
    for (let v = z * plane; v < (z + 1) * plane; v++) c += mask[v]!;
    return c;
  });
  const slabs = planSlabs(planeCounts, n, ctx.job.budget.maxConcurrency, ctx.job.params.slabs, MIN_SLABS).map((s, index) => ({ index, ...s }));
  await env.store.put(keys.slabs(ctx.workDir), JSON.stringify(slabs));
  return { slabs: await fanOut(env.store, ctx.workDir, 'slabs', slabs), voxels };
}
