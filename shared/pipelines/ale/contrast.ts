import type { TaskEnv } from '../../runtime/task.ts';
import type { AleGrid } from '../../ale/ale.ts';
import { computeMaMaps, fociToVoxels } from '../../ale/ale.ts';
import type { ExperimentInput } from '../../ale/analysis.ts';
import { kernelsFor } from '../../ale/kernel.ts';
import { LabelExchange, maOnDomain } from '../../ale/contrast.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import { i32 } from '../common/bytes.ts';
import type { AleContext } from './context.ts';

export interface ContrastShard {
  index: number;
  k0: number;
  k1: number;
}

/** The pooled label-exchange kernel of a contrast job on its domain (set A's experiments first). */
export function contrastKernel(grid: AleGrid, ctx: AleContext, domain: Int32Array): LabelExchange {
  const mode = ctx.job.params.coordinateToVoxel;
  const pooled: ExperimentInput[] = [...ctx.experiments, ...ctx.experiments2!];
  const ijk = pooled.map((e) => fociToVoxels(e.foci, grid.affine, mode));
  const ma = computeMaMaps(grid, ijk, kernelsFor(pooled.map((e) => e.sampleSize), grid.voxelMm));
  return new LabelExchange(maOnDomain(ma, domain, grid.mask.length), ctx.experiments.length, domain.length);
}

/**
 * Partial layout: Int32 ge[nDomain], Int32 le[nDomain] (counts of permuted D at or above /
 * at or below the observed D), then Float64 max |D| per permutation k0..k1-1.
 */
export function splitPartial(bytes: Uint8Array, nDomain: number, nPerm: number): { ge: Int32Array; le: Int32Array; maxAbs: Float64Array } {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return {
    ge: new Int32Array(copy.buffer, 0, nDomain),
    le: new Int32Array(copy.buffer, nDomain * 4, nDomain),
    maxAbs: new Float64Array(copy.buffer, nDomain * 8, nPerm),
  };
}

/** Label-exchange permutations k0..k1-1 of the ALE contrast. */
export async function contrastBatch(env: TaskEnv, contextKey: string, shard: ContrastShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const out = keys.contrast(ctx.workDir, shard.index);
  if (await env.store.exists(out)) return { index: shard.index, skipped: true };
  const domain = i32(await env.store.get(keys.domain(ctx.workDir)));
  const grid = await loadGrid(ctx);
  const lx = contrastKernel(grid, ctx, domain);
  const n = domain.length;
  const buf = new ArrayBuffer(n * 8 + (shard.k1 - shard.k0) * 8);
  const ge = new Int32Array(buf, 0, n);
  const le = new Int32Array(buf, n * 4, n);
  const maxAbs = new Float64Array(buf, n * 8, shard.k1 - shard.k0);
  lx.run(ctx.job.seed, shard.k0, shard.k1, ge, le, maxAbs);
  await env.store.put(out, new Uint8Array(buf));
  return { index: shard.index, skipped: false };
}
