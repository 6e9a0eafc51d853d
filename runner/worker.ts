import { allStages } from '../shared/pipelines/manifests.ts';
import { loadModule } from '../shared/runtime/load-module.ts';
import { RUN_STARTED_ENV } from '../shared/runtime/run-started.ts';

export interface WorkerCall {
  name: string;
  event: unknown;
  /**
   * only load the handler's module (and what its `warm(event)` export, if any, loads for this
   * event), run nothing: the runner warms the first task's thread while it is busy itself
   */
  warm?: boolean;
  /** when the run that makes this call began (ISO time): the thread's `RUN_STARTED_ENV` for the handler, so its report counts the run time from there */
  runStartedAt?: string;
}

export type WorkerReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

type Handler = (event: never) => Promise<unknown>;
/** What a handler module exports: `handler`, and optionally `warm` (preload what `handler` will need for such an event). */
interface HandlerModule {
  handler: Handler;
  warm?: (event: never) => Promise<unknown>;
}

/**
 * Handler module of every stage by its handler name, from the pipeline manifests (data only):
 * the same table functions/index.ts builds, without importing any handler.
 */
const ENTRIES = new Map(allStages().map((s) => [s.handler, s.entry]));
/** This module's extension: the handler modules beside it are the same kind (.ts source or built .js). */
const EXT = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const loaded = new Map<string, Promise<HandlerModule | undefined>>();

/**
 * The module of the handler named `name`, imported the first time this thread asks for it (a
 * thread loads the modules of the tasks it runs, not every pipeline's; `loadModule`: import, or
 * require in a pool thread, which runs under tsx's require hook); undefined for a name no
 * manifest lists.
 */
function loadHandlerModule(name: string): Promise<HandlerModule | undefined> {
  let m = loaded.get(name);
  if (!m) {
    const entry = ENTRIES.get(name);
    const url = entry === undefined ? undefined : new URL(`../${entry.replace(/\.ts$/, EXT)}`, import.meta.url);
    m = url === undefined ? Promise.resolve(undefined) : loadModule(url, () => import(url.href) as Promise<HandlerModule>);
    // a failed import is not cached: the next call tries again (and reports the same error)
    m.catch(() => loaded.delete(name));
    loaded.set(name, m);
  }
  return m;
}

/** The handler named `name` (its module loaded once per thread); undefined for a name no manifest lists. */
export async function loadHandler(name: string): Promise<Handler | undefined> {
  return (await loadHandlerModule(name))?.handler;
}

/** Worker-thread entry: run one task handler. Errors travel as data so their names survive the thread boundary. */
export default async function run(call: WorkerCall): Promise<WorkerReply> {
  try {
    const m = await loadHandlerModule(call.name);
    if (!m) return { ok: false, name: 'UnknownTask', message: `no handler named ${call.name}` };
    if (call.runStartedAt) process.env[RUN_STARTED_ENV] = call.runStartedAt;
    if (call.warm) return { ok: true, value: await m.warm?.(call.event as never) };
    return { ok: true, value: await m.handler(call.event as never) };
  } catch (e) {
    const err = e as Error;
    return { ok: false, name: err?.name ?? 'Error', message: err?.message ?? String(e) };
  }
}
