/**
 * Storage form of a permutation batch (a shard's result): the per-permutation maxima as
 * JSON (doubles round-trip exactly) and the per-voxel exceedance counts as uint32.
 * Writers put the counts first and the maxima last, so the maxima object marks a
 * complete batch.
 */
import type { Store } from '../storage/index.ts';
import type { BatchResult } from './engine.ts';

interface Maxima {
  k0: number;
  k1: number;
  maxStat: number[];
  maxExtent: number[];
  maxMass: number[];
  maxTfce: number[];
}

export async function writeBatch(store: Store, key: string, r: BatchResult): Promise<void> {
  const counts = new Uint32Array(r.exceedStat.length + r.exceedTfce.length);
  counts.set(r.exceedStat);
  counts.set(r.exceedTfce, r.exceedStat.length);
  await store.put(`${key}.u32`, new Uint8Array(counts.buffer));
  const maxima: Maxima = { k0: r.k0, k1: r.k1, maxStat: Array.from(r.maxStat), maxExtent: Array.from(r.maxExtent), maxMass: Array.from(r.maxMass), maxTfce: Array.from(r.maxTfce) };
  await store.put(`${key}.json`, JSON.stringify(maxima));
}

/** Both objects of the batch are there (and, through the task store, verify). */
export async function batchDone(store: Store, key: string): Promise<boolean> {
  return (await store.exists(`${key}.u32`)) && (await store.exists(`${key}.json`));
}

export async function readBatch(store: Store, key: string, V: number): Promise<BatchResult> {
  const mx = JSON.parse(await store.getText(`${key}.json`)) as Maxima;
  const bytes = await store.get(`${key}.u32`);
  const counts = new Uint32Array(bytes.byteLength / 4);
  new Uint8Array(counts.buffer).set(bytes);
  return {
    k0: mx.k0,
    k1: mx.k1,
    maxStat: Float64Array.from(mx.maxStat),
    maxExtent: Float64Array.from(mx.maxExtent),
    maxMass: Float64Array.from(mx.maxMass),
    maxTfce: Float64Array.from(mx.maxTfce),
    exceedStat: counts.subarray(0, V),
    exceedTfce: counts.subarray(V),
  };
}
