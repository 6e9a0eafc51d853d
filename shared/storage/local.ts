/**
 * The local-filesystem engine: objects are files under a root directory, keys are
 * '/'-separated paths relative to it. Used by the local runner and for local inputs.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MissingInput } from '../errors.ts';
import { assertSafeKey, assertSafePrefix } from './keys.ts';
import {
  checkRange,
  compareKeys,
  decodeText,
  toBytes,
  type ByteRange,
  type ObjectInfo,
  type PutOptions,
  type Store,
} from './store.ts';

/** Temporary files written by `put` before their rename; never listed. */
const TEMP_NAME = /^\.nbtmp-[0-9a-f]{16}$/;

/** Errors that mean "there is no object at this key". */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

export class LocalStore implements Store {
  readonly root: string;
  readonly uri: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
    const href = pathToFileURL(this.root).href;
    this.uri = href.endsWith('/') ? href : `${href}/`;
  }

  /** The file path of a key (validated). */
  pathOf(key: string): string {
    assertSafeKey(key, key);
    return path.join(this.root, ...key.split('/'));
  }

  private missing(key: string): InstanceType<typeof MissingInput> {
    return new MissingInput(`no object '${key}' in ${this.uri}`, key);
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const file = this.pathOf(key);
    if (range) checkRange(range);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch (err) {
      if (isAbsent(err)) throw this.missing(key);
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw this.missing(key);
      const start = range ? Math.min(range.start, st.size) : 0;
      const end = range ? Math.min(range.end, st.size) : st.size;
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) break; // the file shrank underneath us
        done += bytesRead;
      }
      return done === out.length ? out : out.subarray(0, done);
    } catch (err) {
      if (isAbsent(err)) throw this.missing(key);
      throw err;
    } finally {
      await fh.close();
    }
  }

  async getText(key: string): Promise<string> {
    return decodeText(await this.get(key));
  }

  /** Write to a temporary file in the target directory, flush it, then rename over the key. */
  async put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.nbtmp-${randomBytes(8).toString('hex')}`);
    try {
      const fh = await fs.open(tmp, 'wx');
      try {
        await fh.writeFile(toBytes(body));
        if (opts?.durable !== false) await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      return (await fs.stat(file)).isFile();
    } catch (err) {
      if (isAbsent(err)) return false;
      throw err;
    }
  }

  async size(key: string): Promise<number> {
    const file = this.pathOf(key);
    let st;
    try {
      st = await fs.stat(file);
    } catch (err) {
      if (isAbsent(err)) throw this.missing(key);
      throw err;
    }
    if (!st.isFile()) throw this.missing(key);
    return st.size;
  }

  async head(key: string): Promise<ObjectInfo> {
    const file = this.pathOf(key);
    let st;
    try {
      st = await fs.stat(file);
    } catch (err) {
      if (isAbsent(err)) throw this.missing(key);
      throw err;
    }
    if (!st.isFile()) throw this.missing(key);
    return { size: st.size, modifiedMs: st.mtimeMs, changedMs: st.ctimeMs };
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertSafePrefix(prefix, prefix);
    const keys: string[] = [];
    // Descend only into directories that can hold keys starting with `prefix`.
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isAbsent(err)) return;
        throw err;
      }
      for (const entry of entries) {
        if (TEMP_NAME.test(entry.name)) continue;
        const key = keyPrefix + entry.name;
        const full = path.join(dir, entry.name);
        let isFile = entry.isFile();
        let isDir = entry.isDirectory();
        if (entry.isSymbolicLink()) {
          // Symlinked files are listed; symlinked directories are not followed.
          const st = await fs.stat(full).catch(() => undefined);
          isFile = st?.isFile() ?? false;
          isDir = false;
        }
        if (isFile && key.startsWith(prefix)) {
          keys.push(key);
        } else if (isDir) {
          const sub = `${key}/`;
          if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(full, sub);
        }
      }
    };
    await walk(this.root, '');
    keys.sort(compareKeys);
    yield* keys;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fs.unlink(file);
    } catch (err) {
      if (isAbsent(err)) return;
      throw err;
    }
  }
}
