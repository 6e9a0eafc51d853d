import { task } from '../shared/runtime/task.ts';
import { correlateChunk } from '../shared/pipelines/netmap/chunk.ts';
import type { ChunkShard } from '../shared/pipelines/netmap/chunk.ts';

interface ChunkEvent {
  BatchInput: { context: string };
  Items: ChunkShard[];
}

/** Connectome chunks (a Distributed Map child): seed-to-voxel Fisher z sums for every study. */
export const handler = task(
  'netmapChunk',
  async (e: ChunkEvent, env) => {
    const out = [];
    for (const shard of e.Items) out.push(await correlateChunk(env, e.BatchInput.context, shard));
    return out;
  },
  (e) => ({ context: e.BatchInput.context, shard: `chunk-${e.Items.map((s) => s.index).join('-')}` }),
);
