import { enforceBudget, estimateCost, SPEED } from '../../jobs/cost.ts';
import { estimateAndEnforce } from '../common/finish.ts';
import { netmapCounts } from './workflow.ts';
import type { CostEstimate } from '../../jobs/cost.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { bucketKeyOf, writeItemList, type BucketKey } from '../../storage/items.ts';
import { allChunks, loadContext } from './context.ts';
import type { NetmapContext } from './context.ts';
import { planSpecificity } from './specificity.ts';

/**
 * ms of one connectome chunk shard of `subjects` subjects holding `samples` time points in all
 * (S seeds over V voxels): each subject's file read whole and checked, the correlation
 * kernel (S seeds and the voxel norms per sample·voxel), r → z and the quantised sums per
 * seed·voxel·subject, then the chunk's sums (S·V · 28 bytes) sealed and written, plus the
 * shard's fixed part and its two objects (sums, metrics).
 */
export function chunkShardMs(subjects: number, samples: number, S: number, V: number): number {
  return (
    SPEED.shardFixedMs +
    samples * V * 4 * SPEED.readMsPerByte +
    samples * V * (S + 1) * SPEED.netmapMsPerSampleVoxelSeed +
    subjects * S * V * SPEED.netmapMsPerSeedVoxelSubject +
    S * V * 28 * SPEED.writeMsPerByte +
    2 * SPEED.putMs
  );
}

export function estimateNetmap(ctx: NetmapContext): CostEstimate {
  const chunks = allChunks(ctx);
  const S = ctx.slots;
  const V = ctx.voxels;
  const all = [ctx.subjects, ...(ctx.connectomes ?? []).map((c) => c.subjects)].flat();
  const samples = all.reduce((a, s) => a + s.runs.reduce((b, T) => b + T, 0), 0);
  const perChunkSamples = samples / chunks.length;
  const nVox = ctx.grid.dims[0] * ctx.grid.dims[1] * ctx.grid.dims[2];
  const spec = planSpecificity(ctx);
  const specStages = spec
    ? [{ stage: 'specificity', task: 'netmapSpecificity' as const, shards: spec.batches.length, msPerShard: (spec.batchSize + 1) * V * (S * 2 * SPEED.permMsPerVoxelSubjectColumn + SPEED.permMsPerVoxel) + S * V * SPEED.readMsPerValue }]
    : [];
  return estimateCost(
    [
      { stage: 'validate', task: 'validate', shards: 1, msPerShard: 200 + ctx.subjects.length * 5 },
      { stage: 'plan', task: 'plan', shards: 1, msPerShard: 10 },
      { stage: 'connectome-chunks', task: 'netmapChunk', shards: chunks.length, msPerShard: chunkShardMs(all.length / chunks.length, perChunkSamples, S, V) },
      { stage: 'seed-maps', task: 'netmapMaps', shards: 1, msPerShard: chunks.length * S * V * SPEED.readMsPerValue * 7 },
      ...specStages,
      { stage: 'reduce', task: 'reduce', shards: 1, msPerShard: S * nVox * SPEED.reduceMsPerVoxel * 2 + (specStages.length ? V * SPEED.permMsPerVoxel * 10 : 0) },
    ],
    { puts: chunks.length + 4 * S + 8, gets: ctx.subjects.length + chunks.length * 3 + 4 },
    ctx.job.budget.maxConcurrency,
    undefined,
    netmapCounts({ Chunks: { items: chunks.length }, Specificity: { items: spec?.batches.length ?? 0 } }).stateTransitions,
  );
}

export interface NetmapPlan {
  chunks: { items: BucketKey; count: number; itemsPerWorker: number; resultsPrefix: string };
  maxConcurrency: number;
  estimatedUsd: number;
}

/** Estimate the cost, refuse a job over budget, and write the connectome chunk list for the Distributed Map. */
export async function planNetmap(env: TaskEnv, contextKey: string): Promise<NetmapPlan> {
  const ctx = await loadContext(env.store, contextKey);
  const est = await estimateAndEnforce(env, ctx.workDir, estimateNetmap(ctx), ctx.job.budget.maxUsd);
  const chunks = allChunks(ctx);
  return {
    chunks: {
      items: await writeItemList(env.store, `${ctx.workDir}/items/chunks.json`, chunks),
      count: chunks.length,
      itemsPerWorker: 1,
      resultsPrefix: bucketKeyOf(env.store, `${ctx.workDir}/map-runs/chunks`).key,
    },
    maxConcurrency: ctx.job.budget.maxConcurrency,
    estimatedUsd: est.totalUsd,
  };
}
