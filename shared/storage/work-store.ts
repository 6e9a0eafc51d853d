/**
 * The task store every stage sees: intermediates under the work prefix are written and read
 * through the verified envelope (`verified.ts`: length + SHA-256), transparently, so every
 * shard output of every pipeline carries its length and checksum.
 *
 * - `put` seals the object; `get` opens it (a corrupt object is `CorruptIntermediate`, and so is
 *   a missing one: a reducer that finds a missing or inconsistent shard fails by name);
 *   `getText` decodes the verified payload.
 * - A ranged `get` reads the payload's range (offset by the 48-byte header) and checks that
 *   all of it came back; the checksum of a ranged read cannot be checked (the whole object
 *   is verified when its stage runs again or skips it).
 * - `exists` is the skip test of every resumable stage: true only for an object that
 *   verifies. A corrupt object reads as absent, so its shard is recomputed; each corrupt one
 *   is counted as recomputed in the invocation's resume ledger, each valid one as skipped.
 * - `size`/`head` report the payload's size.
 *
 * Not intermediates (kept as plain objects, because something other than a task reads them
 * through its own store or Step Functions reads them): `context.json`, `inputs.json`,
 * `estimate.json`, any `job.json`, `.tsv`/`.csv` tables (a job folder another workflow
 * validates), item lists (`items/`), map-run exports (`map-runs/`), `metrics/` and `errors/`.
 */
import { CorruptIntermediate, MissingInput } from '../errors.ts';
import { currentLedger } from '../runtime/ledger.ts';
import type { ByteRange, ObjectInfo, PutOptions, Store } from './store.ts';
import { decodeText, toBytes } from './store.ts';
import { ENVELOPE_HEADER_BYTES, openEnvelope, sealEnvelope, verifiedStatus } from './verified.ts';

const PLAIN = /(^|\/)(context\.json|inputs\.json|estimate\.json|job\.json)$|\.(tsv|csv)$|\/(items|map-runs|metrics|errors)\//;

/** Whether `key` is a verified intermediate of a store whose work prefix is `workPrefix`. */
export function isIntermediate(key: string, workPrefix: string): boolean {
  return workPrefix !== '' && key.startsWith(workPrefix) && !PLAIN.test(key);
}

class VerifiedWorkStore implements Store {
  constructor(
    readonly inner: Store,
    readonly workPrefix: string,
  ) {}

  get uri(): string {
    return this.inner.uri;
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    if (!isIntermediate(key, this.workPrefix)) return this.inner.get(key, range);
    try {
      if (range) {
        const h = ENVELOPE_HEADER_BYTES;
        const bytes = await this.inner.get(key, { start: range.start + h, end: range.end + h });
        if (bytes.byteLength !== range.end - range.start) {
          throw new CorruptIntermediate(`intermediate '${key}' is corrupt: truncated (bytes ${range.start}–${range.end} of its payload asked, ${bytes.byteLength} there)`, key);
        }
        return bytes;
      }
      return openEnvelope(await this.inner.get(key), key, 'bytes');
    } catch (err) {
      if (err instanceof MissingInput) throw new CorruptIntermediate(`intermediate '${key}' is missing`, key);
      throw err;
    }
  }

  async getText(key: string): Promise<string> {
    if (!isIntermediate(key, this.workPrefix)) return this.inner.getText(key);
    return decodeText(await this.get(key));
  }

  put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void> {
    if (!isIntermediate(key, this.workPrefix)) return this.inner.put(key, body, opts);
    const ledger = currentLedger();
    if (ledger) ledger.written++;
    // a sealed object is verified by every reader (a torn one after a power loss is recomputed): no fsync needed
    return this.inner.put(key, sealEnvelope(toBytes(body), 'bytes'), { contentType: 'application/octet-stream', durable: false });
  }

  async exists(key: string): Promise<boolean> {
    if (!isIntermediate(key, this.workPrefix)) return this.inner.exists(key);
    const status = await verifiedStatus(this.inner, key, 'bytes');
    const ledger = currentLedger();
    if (status.status === 'valid') {
      if (ledger) ledger.skipped++;
      return true;
    }
    if (status.status === 'corrupt' && ledger) ledger.recomputed++;
    return false;
  }

  async size(key: string): Promise<number> {
    const n = await this.inner.size(key);
    return isIntermediate(key, this.workPrefix) ? Math.max(0, n - ENVELOPE_HEADER_BYTES) : n;
  }

  async head(key: string): Promise<ObjectInfo> {
    const info = await this.inner.head(key);
    return isIntermediate(key, this.workPrefix) ? { ...info, size: Math.max(0, info.size - ENVELOPE_HEADER_BYTES) } : info;
  }

  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

/** `inner` with every intermediate under `workPrefix` sealed and verified (above). An empty prefix wraps nothing. */
export function verifiedWorkStore(inner: Store, workPrefix: string): Store {
  return new VerifiedWorkStore(inner, workPrefix);
}

/** The engine under a verified work store (itself for any other store): for code that needs the S3 or local engine. */
export function baseStore(store: Store): Store {
  return store instanceof VerifiedWorkStore ? store.inner : store;
}
