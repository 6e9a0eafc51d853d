/**
 * After the connectome chunks: pool their sums in chunk order into every seed's maps
 * (t, mean z, mean r over the connectome voxels) and, with params.specificity, plan
 * the permutation batches of the studies-vs-controls test.
 */
import type { TaskEnv } from '../../runtime/task.ts';
import { decodeSums, emptySums, mergeSums, seedMaps } from '../../netmap/correlate.ts';
import { bucketKeyOf, writeItemList, type BucketKey } from '../../storage/items.ts';
import { asBytes, f32 } from '../common/bytes.ts';
import { allChunks, connectomeOf, keys, loadContext } from './context.ts';
import type { NetmapContext } from './context.ts';
import { planSpecificity } from './specificity.ts';
import { mapKeys } from './seed-maps.ts';

export interface MapsResult {
  specificity: { present: boolean; items?: BucketKey; batches: number; itemsPerWorker: number; resultsPrefix?: string };
  maxConcurrency: number;
}

export async function poolSeedMaps(env: TaskEnv, contextKey: string): Promise<MapsResult> {
  const ctx = await loadContext(env.store, contextKey);
  const { workDir } = ctx;
  const S = ctx.slots;
  const V = ctx.voxels;
  const all = allChunks(ctx);
  for (const c of [undefined, ...(ctx.connectomes ?? []).map((_, i) => i + 1)]) {
    const pass = connectomeOf(ctx, c).passDir;
    if (await env.store.exists(mapKeys.dof(pass))) continue;
    const chunks = all.filter((x) => x.connectome === c);
    const sums = emptySums(S, V);
    for (const ch of chunks) mergeSums(sums, decodeSums(await env.store.get(keys.chunk(pass, ch.chunk ?? ch.index)), S, V));
    const t = new Float32Array(S * V);
    const meanZ = new Float32Array(S * V);
    const meanR = new Float32Array(S * V);
    let dof = 0;
    for (let k = 0; k < S; k++) {
      const m = seedMaps(sums, k);
      t.set(m.t, k * V);
      meanZ.set(m.meanZ, k * V);
      meanR.set(m.meanR, k * V);
      for (let q = 0; q < V; q++) dof = Math.max(dof, m.n[q]! - 1);
    }
    await env.store.put(mapKeys.t(pass), asBytes(t));
    await env.store.put(mapKeys.meanZ(pass), asBytes(meanZ));
    await env.store.put(mapKeys.meanR(pass), asBytes(meanR));
    await env.store.put(mapKeys.dof(pass), JSON.stringify({ dof }));
  }
  const batches = planSpecificity(ctx)?.batches ?? [];
  return {
    specificity: batches.length
      ? {
          present: true,
          items: await writeItemList(env.store, `${workDir}/items/specificity.json`, batches),
          batches: batches.length,
          itemsPerWorker: 1,
          resultsPrefix: bucketKeyOf(env.store, `${workDir}/map-runs/specificity`).key,
        }
      : { present: false, batches: 0, itemsPerWorker: 1 },
    maxConcurrency: ctx.job.budget.maxConcurrency,
  };
}
