import { fileURLToPath } from 'node:url';
import { allStages } from '../shared/pipelines/manifests.ts';

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

/** Whether `import()` of the handler modules works in this thread (set false at the first that does not). */
let esm = true;

/**
 * Import a handler module. A pool thread runs under tsx's require hook (piscina loads its file
 * with require, and the ESM hooks of `--import tsx` do not reach worker threads on Node 20),
 * so there `import()` of a .ts file fails with ERR_UNKNOWN_FILE_EXTENSION and the module is
 * required instead, the way this one was; an ES-module context (tests, a built .js tree) imports.
 */
async function importModule(url: URL): Promise<{ handler: Handler }> {
  if (esm) {
    try {
      return (await import(url.href)) as { handler: Handler };
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' || typeof require !== 'function') throw e;
      esm = false;
    }
  }
  return require(fileURLToPath(url)) as { handler: Handler };
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
    h = entry === undefined ? Promise.resolve(undefined) : importModule(new URL(`../${entry.replace(/\.ts$/, EXT)}`, import.meta.url)).then((m) => m.handler);
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
