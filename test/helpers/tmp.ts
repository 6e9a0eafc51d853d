/**
 * Temporary folders for tests, removed when the test file finishes.
 *
 *   const dir = tmpDir('nb-glm-');   // mkdtemp under os.tmpdir(), registered for removal
 *
 * The afterAll below is registered on the root suite of every test file that imports this
 * module (vitest evaluates modules per test file); a process exit hook catches folders made
 * outside any suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];

function removeAll(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh empty folder `<os.tmpdir()>/<prefix>XXXXXX`, removed after this file's tests. */
export function tmpDir(prefix = 'nb-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

afterAll(removeAll);
process.once('exit', removeAll);
