import type { TaskEnv } from '../../runtime/task.ts';
import { computeMaMaps, fociToVoxels } from '../../ale/ale.ts';
import { kernelsFor } from '../../ale/kernel.ts';
import { jackknifeOne } from '../../ale/jackknife.ts';
import { keys, loadContext, loadGrid } from './context.ts';
import { i32 } from '../common/bytes.ts';
import type { ThresholdSummary } from './threshold.ts';

export interface JackknifeShard {
  index: number;
  e0: number;
  e1: number;
}

export interface JackknifePartial {
  /** one entry per left-out experiment e0..e1-1; arrays per full-analysis cluster */
  results: { experiment: number; survives: number[]; maxAle: number[]; overlapVoxels: number[] }[];
}

/** Leave each experiment of [e0, e1) out in turn: does every cluster of the full analysis survive? */
export async function jackknifeShard(env: TaskEnv, contextKey: string, shard: JackknifeShard): Promise<{ index: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const out = keys.jackknife(ctx.workDir, shard.index);
  if (await env.store.exists(out)) return { index: shard.index, skipped: true };
  const th = JSON.parse(await env.store.getText(keys.thresholds(ctx.workDir))) as ThresholdSummary;
  const labels = i32(await env.store.get(keys.clusterLabels(ctx.workDir)));
  const grid = await loadGrid(ctx);
  const ijk = ctx.experiments.map((e) => fociToVoxels(e.foci, grid.affine, ctx.job.params.coordinateToVoxel));
  const ma = computeMaMaps(grid, ijk, kernelsFor(ctx.experiments.map((e) => e.sampleSize), grid.voxelMm));
  const partial: JackknifePartial = { results: [] };
  for (let e = shard.e0; e < shard.e1; e++) {
    const r = jackknifeOne(grid, ma, e, th.a.clusterFormingAle, th.a.minClusterSize, labels, th.a.nClusters);
    partial.results.push({ experiment: e, survives: Array.from(r.survives), maxAle: Array.from(r.maxAle), overlapVoxels: Array.from(r.overlapVoxels) });
  }
  await env.store.put(out, JSON.stringify(partial));
  return { index: shard.index, skipped: false };
}
