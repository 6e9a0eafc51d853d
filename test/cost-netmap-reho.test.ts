import { describe, expect, it } from 'vitest';
import { SPEED } from '../shared/jobs/cost.ts';
import { chunkShardMs, estimateNetmap } from '../shared/pipelines/netmap/plan.ts';
import type { NetmapContext } from '../shared/pipelines/netmap/context.ts';
import { estimateReho, funcReadMs, rehoSlabMs, REHO_MS_PER_VOXEL_VOLUME } from '../shared/pipelines/reho/plan.ts';
import type { RehoContext } from '../shared/pipelines/reho/context.ts';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));

describe('netmap estimate: connectome chunk shards', () => {
  it('chunkShardMs is the closed form: fixed part, bytes read, kernel, z per seed·voxel·subject, sums written', () => {
    // 3 subjects, 2 runs of 50 each = 300 samples; 5 seeds over 1000 voxels
    const want =
      SPEED.shardFixedMs +
      300 * 1000 * 4 * SPEED.readMsPerByte +
      300 * 1000 * 6 * SPEED.netmapMsPerSampleVoxelSeed +
      3 * 5 * 1000 * SPEED.netmapMsPerSeedVoxelSubject +
      5 * 1000 * 28 * SPEED.writeMsPerByte +
      2 * SPEED.putMs;
    close(chunkShardMs(3, 300, 5, 1000), want);
    // a subject more adds its read, kernel and z terms only
    close(chunkShardMs(4, 400, 5, 1000) - chunkShardMs(3, 300, 5, 1000), 100 * 1000 * (4 * SPEED.readMsPerByte + 6 * SPEED.netmapMsPerSampleVoxelSeed) + 5 * 1000 * SPEED.netmapMsPerSeedVoxelSubject);
  });
  it('the bench job (48 subjects × 2 runs of 90, 8 seeds, 6410 voxels) costs ~3× the kernel alone, as measured (26 ms against 7)', () => {
    const ms = chunkShardMs(1, 180, 8, 6410);
    const kernelOnly = 180 * 6410 * 9 * SPEED.netmapMsPerSampleVoxelSeed;
    expect(ms / kernelOnly).toBeGreaterThan(3);
    expect(ms).toBeGreaterThan(26 / 1.5);
    expect(ms).toBeLessThan(26 * 1.5);
  });
  it('estimateNetmap charges every chunk the mean subjects and samples of its chunk plan', () => {
    const subjects = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, uri: `file:///c/s${i}.f32`, runs: [50, 50] }));
    const ctx = { subjects, slots: 5, voxels: 1000, grid: { dims: [10, 10, 10] }, studies: [], job: { params: {}, budget: { maxConcurrency: 4, maxUsd: 1 } } } as unknown as NetmapContext;
    const stage = estimateNetmap(ctx).stages.find((s) => s.stage === 'connectome-chunks')!;
    // ceil(10 / 4) = 3 subjects a chunk: 4 chunks of 10 subjects, 1000 samples in all
    expect(stage.shards).toBe(4);
    close(stage.msPerShard, chunkShardMs(10 / 4, 1000 / 4, 5, 1000));
  });
});

function rehoCtx(ranged: boolean, mask = false): RehoContext {
  return {
    grid: { dims: [10, 8, 20] },
    subjects: Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, volumes: 60, ranged })),
    job: { params: {}, budget: { maxConcurrency: 10, maxUsd: 1 } },
    ...(mask ? { maskUri: 'file:///m.nii.gz' } : {}),
  } as unknown as RehoContext;
}

describe('reho estimate: slab shards charge the bytes they read', () => {
  const plane = 80;
  it('uncompressed: a thin slab reads its planes (and halo) of every volume, not the whole file', () => {
    // planes 5..7 with halo 4..8: 5 planes of 20, gaps of 15 planes > 5: one read a volume
    close(funcReadMs(plane, 20, 4, 9, 60, true), 5 * plane * 4 * 60 * SPEED.readMsPerByte);
    // every plane: the whole data
    close(funcReadMs(plane, 20, 0, 20, 60, true), 20 * plane * 4 * 60 * SPEED.readMsPerByte);
    // gzipped: inflated up to the last plane read, every volume
    close(funcReadMs(plane, 20, 4, 9, 60, false), (20 * plane * 59 + 9 * plane) * 4 * SPEED.inflateMsPerByte);
  });
  it('rehoSlabMs: fixed part, the read, the kernels over the in-mask region, the mask, two outputs and three objects', () => {
    const ctx = rehoCtx(true, true);
    const maskVoxels = 1000;
    const slab = { z0: 5, z1: 8 };
    const want =
      SPEED.shardFixedMs +
      funcReadMs(plane, 20, 4, 9, 60, true) +
      ((maskVoxels * 5) / 20) * 60 * REHO_MS_PER_VOXEL_VOLUME +
      1600 * SPEED.inflateMsPerByte +
      3 * plane * 5 * SPEED.writeMsPerByte +
      3 * SPEED.putMs;
    close(rehoSlabMs(ctx, slab, maskVoxels, 1), want);
  });
  it('estimateReho: the slab stage is the mean of its slabs; ranged reads of 4 slabs cost about a quarter of whole-file reads', () => {
    const slabs = [{ z0: 0, z1: 5 }, { z0: 5, z1: 10 }, { z0: 10, z1: 15 }, { z0: 15, z1: 20 }];
    const ranged = estimateReho(rehoCtx(true), 4, slabs, 1000).stages.find((s) => s.stage === 'reho')!;
    expect(ranged.shards).toBe(16);
    close(ranged.msPerShard, slabs.reduce((a, sl) => a + rehoSlabMs(rehoCtx(true), sl, 1000, 1), 0) / 4);
    // read terms: (6 + 7 + 7 + 6 planes) / 4 slabs of the 20 planes of every volume
    const readRanged = slabs.reduce((a, sl) => a + funcReadMs(plane, 20, Math.max(0, sl.z0 - 1), Math.min(20, sl.z1 + 1), 60, true), 0) / 4;
    close(readRanged, (6.5 / 20) * 20 * plane * 4 * 60 * SPEED.readMsPerByte);
    // a gzipped cohort pays the inflation of (nearly) the whole stream in every slab
    const gz = estimateReho(rehoCtx(false), 4, slabs, 1000).stages.find((s) => s.stage === 'reho')!;
    expect(gz.msPerShard).toBeGreaterThan(ranged.msPerShard);
  });
});
