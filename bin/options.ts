/** Command-line options shared by the commands that run jobs: checked before anything runs, refused by name. */
import { mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidParameter } from '../shared/errors.ts';

/** Most worker threads a local run may ask for. */
export const MAX_THREADS = 256;

/** `--threads <n>`: undefined when not given, else a whole number 1..MAX_THREADS (InvalidParameter naming `--threads`). */
export function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new InvalidParameter(`--threads must be a whole number from 1 to ${MAX_THREADS} (got "${text.slice(0, 40)}")`, '--threads');
  }
  return n;
}

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'error';
}

const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of it is a file, not a folder',
  EEXIST: 'it exists and is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'the file system does not allow creating it',
  ENOSPC: 'no space left on the device',
};

function refuse(flag: string, path: string, why: string): never {
  throw new InvalidParameter(`${flag} ${path} is not a writable folder: ${why}`, flag);
}

/** Probe that `dir` accepts new entries (a real create, not access(): root passes access() on read-only or virtual file systems). */
function assertWritable(flag: string, target: string, dir: string): void {
  let probe: string;
  try {
    probe = mkdtempSync(join(dir, '.neuroburst-write-test-'));
  } catch (e) {
    refuse(flag, target, `${dir === target ? 'it' : dir} does not accept new entries (${REASONS[codeOf(e)] ?? codeOf(e)})`);
  }
  rmdirSync(probe);
}

/**
 * Make sure the output folder exists and is writable, failing fast with InvalidParameter
 * naming the flag: the nearest existing ancestor must be a folder that accepts new entries,
 * then the missing components are created one at a time (Node 20's recursive mkdir spins
 * forever on some paths, e.g. under /proc). Returns the absolute path.
 */
export function prepareOutDir(out: string, flag = '--out'): string {
  const target = resolve(out);
  const missing: string[] = [];
  let dir = target;
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(dir);
    } catch (e) {
      const code = codeOf(e);
      if (code === 'ENOTDIR') refuse(flag, target, REASONS.ENOTDIR!);
      if (code !== 'ENOENT') refuse(flag, target, REASONS[code] ?? code);
    }
    if (st) {
      if (!st.isDirectory()) refuse(flag, target, dir === target ? REASONS.EEXIST! : `${dir} is a file, not a folder`);
      break;
    }
    const up = dirname(dir);
    if (up === dir) refuse(flag, target, 'no existing ancestor folder');
    missing.unshift(dir);
    dir = up;
  }
  assertWritable(flag, target, dir);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') refuse(flag, target, REASONS[codeOf(e)] ?? codeOf(e));
    }
  }
  return target;
}
