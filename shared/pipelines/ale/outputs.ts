/**
 * The ALE result maps' writer (the mask's grid and space codes) and the maps of the observed
 * analysis, which need no Monte-Carlo null: a Monte-Carlo fan-out item writes them while the
 * batches run (Reduce lists them among its outputs in their usual place).
 */
import { outputWriter, sidecarOf } from '../common/outputs.ts';
import type { MapInfo, OutputWriter } from '../common/outputs.ts';
import { readHeaderAt } from '../common/header.ts';
import { kindFromName } from '../../report/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import type { AleGrid } from '../../ale/ale.ts';
import { loadContext, loadGrid } from './context.ts';
import type { AleContext } from './context.ts';
import { loadObserved } from './observe.ts';
import type { ObservedMaps } from './observe.ts';

/** Result files under the job's results folder; maps on the mask's grid with its space codes (the user's or the bundled MNI mask). */
export async function aleOutputWriter(env: TaskEnv, ctx: AleContext, grid: AleGrid): Promise<OutputWriter> {
  const pixdim: [number, number, number] = [grid.voxelMm, grid.voxelMm, grid.voxelMm];
  const space = await readHeaderAt(ctx.maskUri, ctx.maskSource === 'bundled' ? 'bundled mask' : 'inputs.mask');
  return outputWriter(env, ctx.resultsDir, { grid: { dims: grid.dims, affine: grid.affine, pixdim }, space });
}

export const mapInfo = (rel: string, description: string, more: Partial<MapInfo> = {}): MapInfo => ({ kind: kindFromName(rel), description, ...more });

/** The observed maps (ALE, voxel p, z), each with its sidecar, in this order. */
export const OBSERVED_MAPS = ['maps/ale.nii.gz', 'maps/p.nii.gz', 'maps/z.nii.gz'] as const;

/** Every file the observed maps' item writes, in the order it writes them. */
export const observedMapFiles = (): string[] => OBSERVED_MAPS.flatMap((rel) => [rel, sidecarOf(rel)]);

/** Write the observed maps of set A (ALE, p on the mask and 0 outside, z) with their sidecars. */
export async function putObservedMaps(w: OutputWriter, ctx: AleContext, grid: AleGrid, obs: ObservedMaps): Promise<void> {
  const cft = { clusterFormingP: ctx.job.params.clusterFormingP, clusterFormingAle: obs.clusterFormingAle };
  const pMap = Float64Array.from(obs.p, (p, v) => (grid.mask[v] ? p : 0));
  const [ale, p, z] = OBSERVED_MAPS;
  // compressed side by side on libuv's pool (the writer keeps the order they were started in)
  await Promise.all([
    w.putMap(ale, obs.ale, mapInfo(ale, 'ALE', { thresholds: cft })),
    w.putMap(p, pMap, mapInfo(p, 'ALE voxel p (histogram null)', { thresholds: cft })),
    w.putMap(z, obs.z, mapInfo(z, 'ALE z', { thresholds: cft })),
  ]);
}

/** The Monte-Carlo fan-out's observed-maps item: the maps that do not wait for the null. */
export async function writeObservedMaps(env: TaskEnv, contextKey: string): Promise<{ maps: string[] }> {
  const ctx = await loadContext(env.store, contextKey);
  const grid = await loadGrid(ctx);
  const w = await aleOutputWriter(env, ctx, grid);
  await putObservedMaps(w, ctx, grid, await loadObserved(env.store, ctx, grid, 'A'));
  return { maps: w.outputs };
}
