import { readUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { addSubject, emptySums, encodeSums, type Seed } from '../../netmap/correlate.ts';
import { subjectRuns } from '../../netmap/connectome.ts';
import { keys, loadContext } from './context.ts';

export interface ChunkShard {
  index: number;
  s0: number;
  s1: number;
}

export async function loadSeeds(env: TaskEnv, workDir: string): Promise<{ study: string; seed: Seed }[]> {
  const records = JSON.parse(await env.store.getText(keys.seeds(workDir))) as { study: string; index: number[]; weight: number[] }[];
  return records.map((r) => ({ study: r.study, seed: { index: Int32Array.from(r.index), weight: Float64Array.from(r.weight) } }));
}

/** One shard: connectome subjects s0 … s1−1, every study's seed; writes exact per-voxel sums. */
export async function correlateChunk(env: TaskEnv, contextKey: string, shard: ChunkShard): Promise<{ index: number; subjects: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const out = keys.chunk(ctx.passDir, shard.index);
  if (await env.store.exists(out)) return { index: shard.index, subjects: shard.s1 - shard.s0, skipped: true };
  const seeds = (await loadSeeds(env, ctx.workDir)).map((s) => s.seed);
  const sums = emptySums(seeds.length, ctx.voxels);
  for (let s = shard.s0; s < shard.s1; s++) {
    const subj = ctx.subjects[s]!;
    const runs = subjectRuns(await readUri(subj.uri), subj.runs, ctx.voxels, `connectome subject ${subj.id}`);
    addSubject(runs, ctx.voxels, seeds, sums);
  }
  await env.store.put(out, encodeSums(sums));
  return { index: shard.index, subjects: shard.s1 - shard.s0, skipped: false };
}
