import { readUri } from '../../storage/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { addSubject, emptySums, encodeSums, type Seed } from '../../netmap/correlate.ts';
import { subjectRuns } from '../../netmap/connectome.ts';
import { roiToRoiSubject } from '../../netmap/roi-connectivity.ts';
import { connectomeOf, keys, loadContext, type ChunkItem } from './context.ts';

export type ChunkShard = ChunkItem;

type SeedJson = { study: string; index: number[]; weight: number[] };
const toSeed = (r: SeedJson): Seed => ({ index: Int32Array.from(r.index), weight: Float64Array.from(r.weight) });
const toSeeds = (r: { source: SeedJson; targets: SeedJson[] }) => ({ source: toSeed(r.source), targets: r.targets.map(toSeed) });

export async function loadSeeds(env: TaskEnv, workDir: string): Promise<{ study: string; seed: Seed }[]> {
  const records = JSON.parse(await env.store.getText(keys.seeds(workDir))) as { study: string; index: number[]; weight: number[] }[];
  return records.map((r) => ({ study: r.study, seed: { index: Int32Array.from(r.index), weight: Float64Array.from(r.weight) } }));
}

/** One shard: connectome subjects s0 … s1−1, every study's seed; writes exact per-voxel sums. */
export async function correlateChunk(env: TaskEnv, contextKey: string, shard: ChunkShard): Promise<{ index: number; subjects: number; skipped: boolean }> {
  const ctx = await loadContext(env.store, contextKey);
  const conn = connectomeOf(ctx, shard.connectome);
  const out = keys.chunk(conn.passDir, shard.chunk ?? shard.index);
  if (await env.store.exists(out)) return { index: shard.index, subjects: shard.s1 - shard.s0, skipped: true };
  const seeds = (await loadSeeds(env, ctx.workDir)).map((s) => s.seed);
  const sums = emptySums(seeds.length, ctx.voxels);
  const roi = ctx.roiTargets && !shard.connectome ? toSeeds(JSON.parse(await env.store.getText(keys.roiSeeds(ctx.workDir))) as { source: SeedJson; targets: SeedJson[] }) : undefined;
  const roiRows: { subject: string; z: (number | null)[] }[] = [];
  for (let s = shard.s0; s < shard.s1; s++) {
    const subj = conn.subjects[s]!;
    const runs = subjectRuns(await readUri(subj.uri), subj.runs, ctx.voxels, `connectome subject ${subj.id}`, subj.uri);
    addSubject(runs, ctx.voxels, seeds, sums);
    // the same decoded runs give the subject's ROI-to-ROI values (NaN stored as null)
    if (roi) roiRows.push({ subject: subj.id, z: Array.from(roiToRoiSubject(runs, ctx.voxels, roi.source, roi.targets), (x) => (Number.isFinite(x) ? x : null)) });
  }
  // the ROI table first: the sums are the chunk's completion marker
  if (roi) await env.store.put(keys.roiChunk(ctx.passDir, shard.index), JSON.stringify(roiRows));
  await env.store.put(out, encodeSums(sums));
  return { index: shard.index, subjects: shard.s1 - shard.s0, skipped: false };
}
