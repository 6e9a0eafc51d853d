/** The pooled per-seed maps (t, mean z, mean r; S × V float32, seed-major) in the pass folder (ctx.passDir), read by the later netmap stages. */
import type { TaskEnv } from '../../runtime/task.ts';
import { f32 } from '../common/bytes.ts';
import type { NetmapContext } from './context.ts';

export const mapKeys = {
  /** S × V float32 each, seed-major */
  t: (workDir: string) => `${workDir}/seedmaps/t.f32`,
  meanZ: (workDir: string) => `${workDir}/seedmaps/meanz.f32`,
  meanR: (workDir: string) => `${workDir}/seedmaps/meanr.f32`,
  dof: (workDir: string) => `${workDir}/seedmaps/dof.json`,
};

export interface SeedMapSet {
  S: number;
  V: number;
  t: Float32Array;
  meanZ: Float32Array;
  meanR: Float32Array;
  dof: number;
}

export async function loadSeedMaps(env: TaskEnv, ctx: NetmapContext): Promise<SeedMapSet> {
  const workDir = ctx.passDir;
  return {
    S: ctx.slots,
    V: ctx.voxels,
    t: f32(await env.store.get(mapKeys.t(workDir))),
    meanZ: f32(await env.store.get(mapKeys.meanZ(workDir))),
    meanR: f32(await env.store.get(mapKeys.meanR(workDir))),
    dof: (JSON.parse(await env.store.getText(mapKeys.dof(workDir))) as { dof: number }).dof,
  };
}
