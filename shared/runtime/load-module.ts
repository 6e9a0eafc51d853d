/**
 * Load a module on demand, in every context the code runs in. `import()` is the way (ES
 * modules: the CLI, tests, a Lambda bundle, where the literal `import('./x.ts')` the caller
 * passes is what the bundler follows). A local worker thread is the exception: it runs under
 * tsx's require hook (piscina loads its file with require, and on Node 20 the ESM hooks of
 * `--import tsx` do not reach worker threads), so there `import()` of a .ts file fails with
 * ERR_UNKNOWN_FILE_EXTENSION; the module is then required — the thread's other modules were
 * loaded that way too, so it gets the same module instances, never a second copy.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Whether `import()` of source modules works in this thread (false after the first that did not). */
let importWorks = true;

/** The module at `url`, by `viaImport` (the caller's `() => import('<literal>')`) or, where that cannot load it, by require. */
export async function loadModule<T>(url: URL, viaImport: () => Promise<T>): Promise<T> {
  if (importWorks) {
    try {
      return await viaImport();
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
      importWorks = false;
    }
  }
  return createRequire(url)(fileURLToPath(url)) as T;
}
