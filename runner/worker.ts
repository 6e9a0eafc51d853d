import { allStages } from '../shared/pipelines/manifests.ts';
import { loadModule } from '../shared/runtime/load-module.ts';

export interface WorkerCall {
  name: string;
  event: unknown;
}

export type WorkerReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

type Handler = (event: never) => Promise<unknown>;

/**
 * Handler module of every stage by its handler name, from the pipeline manifests (data only):
 * the same table functions/index.ts builds, without importing any handler.
 */
const ENTRIES = new Map(allStages().map((s) => [s.handler, s.entry]));
/** This module's extension: the handler modules beside it are the same kind (.ts source or built .js). */
const EXT = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const loaded = new Map<string, Promise<Handler | undefined>>();

/** A handler module's `handler` (`loadModule`: import, or require in a pool thread, which runs under tsx's require hook). */
async function loadHandlerModule(url: URL): Promise<Handler> {
  return (await loadModule(url, () => import(url.href) as Promise<{ handler: Handler }>)).handler;
}

/**
 * The handler named `name`, importing its module the first time this thread asks for it (a
 * thread loads the modules of the tasks it runs, not every pipeline's); undefined for a name
 * no manifest lists.
 */
export function loadHandler(name: string): Promise<Handler | undefined> {
  let h = loaded.get(name);
  if (!h) {
    const entry = ENTRIES.get(name);
    h = entry === undefined ? Promise.resolve(undefined) : loadHandlerModule(new URL(`../${entry.replace(/\.ts$/, EXT)}`, import.meta.url));
    // a failed import is not cached: the next call tries again (and reports the same error)
    h.catch(() => loaded.delete(name));
    loaded.set(name, h);
  }
  return h;
}

/** Worker-thread entry: run one task handler. Errors travel as data so their names survive the thread boundary. */
export default async function run(call: WorkerCall): Promise<WorkerReply> {
  try {
    const h = await loadHandler(call.name);
    if (!h) return { ok: false, name: 'UnknownTask', message: `no handler named ${call.name}` };
    return { ok: true, value: await h(call.event as never) };
  } catch (e) {
    const err = e as Error;
    return { ok: false, name: err?.name ?? 'Error', message: err?.message ?? String(e) };
  }
}
