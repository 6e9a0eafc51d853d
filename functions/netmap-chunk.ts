import { batchTask } from '../shared/runtime/task.ts';
import { correlateChunk } from '../shared/pipelines/netmap/chunk.ts';
import type { ChunkShard } from '../shared/pipelines/netmap/chunk.ts';

/** Distributed Map child: connectome chunks, seed-to-voxel Fisher z sums for every study. */
export const handler = batchTask<ChunkShard, unknown>('netmapChunk', (e, env) => correlateChunk(env, e.context, e.shard), (s) => `chunk-${s.index}`);
