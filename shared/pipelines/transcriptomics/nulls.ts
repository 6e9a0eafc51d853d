import type { TaskEnv } from '../../runtime/task.ts';
import { PlsNullModel } from '../../transcriptomics/nulls.ts';
import type { BootstrapPartial } from '../../transcriptomics/nulls.ts';
import { keys, loadContext, loadX, nullSeed } from './context.ts';
import type { NullItem, TxContext } from './context.ts';

/** One model per context in a warm worker: z-scoring and K = X0X0ᵀ are shared by every batch it runs. */
let cached: { key: string; ctx: TxContext; model: PlsNullModel; spins: Map<string, Int32Array> } | undefined;

async function modelFor(env: TaskEnv, contextKey: string) {
  if (cached?.key !== contextKey) {
    const ctx = await loadContext(env.store, contextKey);
    const X = await loadX(env.store, ctx);
    cached = { key: contextKey, ctx, model: new PlsNullModel(X, ctx.y, ctx.n, ctx.p), spins: new Map() };
  }
  return cached;
}

async function spinsOf(env: TaskEnv, c: NonNullable<typeof cached>): Promise<Int32Array> {
  let s = c.spins.get('pls');
  if (!s) {
    const b = await env.store.get(keys.spins(c.ctx.workDir, 'pls'));
    s = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    c.spins.set('pls', s);
  }
  return s;
}

export function encodePartials(parts: BootstrapPartial[], p: number): Uint8Array {
  const out = new Float64Array(parts.length * (3 + 2 * p));
  parts.forEach((q, i) => {
    const o = i * (3 + 2 * p);
    out[o] = q.start;
    out[o + 1] = q.count;
    out[o + 2] = q.flipped;
    out.set(q.sumD, o + 3);
    out.set(q.sumD2, o + 3 + p);
  });
  return new Uint8Array(out.buffer);
}

export function decodePartials(bytes: Uint8Array, p: number): BootstrapPartial[] {
  const a = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const parts: BootstrapPartial[] = [];
  for (let o = 0; o < a.length; o += 3 + 2 * p) {
    parts.push({ start: a[o]!, count: a[o + 1]!, flipped: a[o + 2]!, sumD: a.slice(o + 3, o + 3 + p), sumD2: a.slice(o + 3 + p, o + 3 + 2 * p) });
  }
  return parts;
}

/** Run one batch of a null and write its output (a pure function of context and item). */
export async function runNullBatch(env: TaskEnv, contextKey: string, item: NullItem): Promise<{ kind: string; index: number; count: number }> {
  const c = await modelFor(env, contextKey);
  const { ctx, model } = c;
  const seed = ctx.job.seed;
  let body: Uint8Array;
  if (item.kind === 'perm') {
    const v = model.permutationNull(nullSeed(seed, 'perm'), item.start, item.count, ctx.exhaustive);
    body = new Uint8Array(v.buffer);
  } else if (item.kind === 'spin') {
    const spins = await spinsOf(env, c);
    const v = model.spinNull(spins.subarray(item.start * ctx.n, (item.start + item.count) * ctx.n), item.count);
    body = new Uint8Array(v.buffer);
  } else if (item.kind === 'boot') {
    body = encodePartials(model.bootstrap(nullSeed(seed, 'boot'), item.start, item.count).partials, ctx.p);
  } else {
    const spins = await spinsOf(env, c);
    const counts = model.geneSpinCounts(spins.subarray(item.start * ctx.n, (item.start + item.count) * ctx.n), item.count);
    body = new Uint8Array(counts.buffer);
  }
  await env.store.put(keys.nulls(ctx.workDir, item.kind, item.index), body);
  return { kind: item.kind, index: item.index, count: item.count };
}
