import { errorRecord } from '../errors.ts';
import { storeFromEnv } from '../storage/index.ts';
import type { Store } from '../storage/index.ts';
import { layoutFromEnv, workPrefixFromEnv } from '../jobs/layout.ts';
import { verifiedWorkStore } from '../storage/work-store.ts';
import type { Layout } from '../jobs/layout.ts';
import type { TaskType } from '../jobs/cost.ts';
import { currentLedger, newLedger, withLedger } from './ledger.ts';

/** What every task body gets: the work/results store and the key layout. */
export interface TaskEnv {
  store: Store;
  layout: Layout;
}

/** Metrics record a task writes next to its outputs; the reducer sums them into the actual cost. */
export interface TaskMetrics {
  task: TaskType;
  shard: string;
  /** this invocation's duration; for an invocation that skipped all its work, the earlier attempt's (below) */
  billedMs: number;
  startedAt: string;
  /** intermediates an earlier attempt left that verified (work skipped) */
  skipped?: number;
  /** intermediates that failed verification (their work recomputed) */
  recomputed?: number;
}

export function metricsKey(contextKey: string, task: TaskType, shard: string): string {
  const dir = contextKey.slice(0, contextKey.lastIndexOf('/'));
  return `${dir}/metrics/${task}/${shard}.json`;
}

/** Where a batch item's compute time is recorded (under the job's work folder, `item-ms/`), for billing it when a later attempt reuses it. */
export function itemTimeKey(contextKey: string, task: TaskType, item: string): string {
  const dir = contextKey.slice(0, contextKey.lastIndexOf('/'));
  return `${dir}/item-ms/${task}/${item}.json`;
}

/** Where a failed shard leaves its error record (under the job's work folder, `errors/`). */
export function shardErrorKey(contextKey: string, task: TaskType, shard: string): string {
  const dir = contextKey.slice(0, contextKey.lastIndexOf('/'));
  return `${dir}/errors/${task}/${shard}.json`;
}

let cachedEnv: TaskEnv | undefined;
export function taskEnv(): TaskEnv {
  // intermediates under the work prefix are sealed and verified (storage/work-store.ts)
  cachedEnv ??= { store: verifiedWorkStore(storeFromEnv(), workPrefixFromEnv()), layout: layoutFromEnv() };
  return cachedEnv;
}

/** Reset cached store (tests that switch NEUROBURST_STORE between runs). */
export function resetTaskEnv(): void {
  cachedEnv = undefined;
}

/**
 * Wrap a task body as a Lambda-style handler: time it, record its billed duration
 * under the job's work prefix, and turn failures into errors whose name is the
 * named error and whose message is the error.json record (JSON), so that a Catch
 * in the state machine carries everything error.json needs.
 */
export function task<E, R>(
  type: TaskType,
  body: (event: E, env: TaskEnv) => Promise<R>,
  locate: (event: E, result: R | undefined) => { context?: string; shard: string },
): (event: E) => Promise<R> {
  return async (event: E) => {
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const env = taskEnv();
    let result: R | undefined;
    const ledger = newLedger();
    try {
      result = await withLedger(ledger, () => body(event, env));
    } catch (err) {
      const rec = errorRecord(err);
      // a Distributed Map child's error does not reach the parent's Catch (it sees
      // States.ExceedToleratedFailureThreshold): keep the record where the failure recorder finds it
      let where: { context?: string; shard: string } | undefined;
      try {
        where = locate(event, undefined);
      } catch {
        /* no location for a malformed event */
      }
      if (where?.context) {
        await env.store.put(shardErrorKey(where.context, type, where.shard), JSON.stringify({ ...rec, at: new Date().toISOString() })).catch(() => undefined);
      }
      const e = new Error(JSON.stringify(rec));
      e.name = rec.error;
      throw e;
    }
    const where = locate(event, result);
    if (where.context) {
      const key = metricsKey(where.context, type, where.shard);
      let billedMs = Math.ceil(performance.now() - t0 + ledger.earlierMs);
      // an invocation that only found verified outputs of an earlier attempt keeps that attempt's
      // billed time: the work was done (and paid for) then, so a resumed job costs what an uninterrupted one does
      if (ledger.skipped > 0 && ledger.written === 0) {
        const earlier = await env.store.getText(key).then((t) => JSON.parse(t) as TaskMetrics, () => undefined);
        if (earlier && Number.isFinite(earlier.billedMs)) billedMs = Math.max(billedMs, earlier.billedMs);
      }
      const m: TaskMetrics = { task: type, shard: where.shard, billedMs, startedAt };
      if (ledger.skipped || ledger.recomputed) Object.assign(m, { skipped: ledger.skipped, recomputed: ledger.recomputed });
      await env.store.put(key, JSON.stringify(m));
    }
    return result;
  };
}

/** The event of a Distributed Map child: the batch input every item shares and the items (ItemBatcher). */
export interface ItemBatch<T> {
  BatchInput: { context: string };
  Items: T[];
}

/**
 * A task over the items of one Distributed Map child: `body` runs once per item, in order,
 * with `{ context, shard: item }`; one metrics record per child, labelled by its items.
 */
export function batchTask<T, R>(
  type: TaskType,
  body: (event: { context: string; shard: T }, env: TaskEnv) => Promise<R>,
  label: (shard: T) => string,
): (event: ItemBatch<T>) => Promise<R[]> {
  return task(
    type,
    async (e: ItemBatch<T>, env) => {
      const out: R[] = [];
      const ledger = currentLedger();
      for (const shard of e.Items) {
        const before = ledger ? { written: ledger.written, skipped: ledger.skipped } : undefined;
        const t = performance.now();
        out.push(await body({ context: e.BatchInput.context, shard }, env));
        if (!ledger || !before) continue;
        // an item that computed records its time; one that only reused an earlier attempt's outputs bills that time
        const key = itemTimeKey(e.BatchInput.context, type, label(shard));
        if (ledger.written > before.written) await env.store.put(key, JSON.stringify({ ms: Math.round(performance.now() - t) }));
        else if (ledger.skipped > before.skipped) {
          const rec = await env.store.getText(key).then((x) => JSON.parse(x) as { ms?: unknown }, () => undefined);
          if (typeof rec?.ms === 'number' && Number.isFinite(rec.ms) && rec.ms > 0) ledger.earlierMs += rec.ms;
        }
      }
      return out;
    },
    (e) => ({ context: e.BatchInput.context, shard: e.Items.map(label).join('+') }),
  );
}

/** Every metrics record under a prefix (the reducers sum them into the actual cost). */
export async function readMetrics(store: Store, prefix: string): Promise<TaskMetrics[]> {
  const out: TaskMetrics[] = [];
  for await (const k of store.list(prefix)) out.push(JSON.parse(await store.getText(k)) as TaskMetrics);
  return out;
}
