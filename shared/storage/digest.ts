/**
 * Input fingerprints, for work keys that are a function of the bytes a stage depends on.
 *
 * What identifies an input (`InputFingerprint.token`):
 * - An object whose store reports an ETag (S3): `s3:<etag>` plus `@<versionId>` in a
 *   versioned bucket, from one HEAD request; no bytes are read. A single-part upload's ETag
 *   is the MD5 of its bytes; a multipart or SSE-KMS upload's ETag is still new for every
 *   upload. So changed bytes always give a new token, and re-uploading identical bytes may
 *   give a new token too (a recomputation, never a stale reuse).
 * - Anything else (local files): `sha256:<hex>` of the bytes, read through the store in
 *   8 MiB ranges. Size, mtime and the inode change time are recorded beside it; they
 *   identify nothing by themselves (a `touch` keeps the token), but with a `DigestCache`
 *   they decide whether a digest computed earlier can be reused without reading the file
 *   again: the cache entry is keyed by location, size, mtime and ctime, and ctime cannot be
 *   set back by hand, so an edit that restores size and mtime still misses the cache.
 * The size is part of every token. The location is not: the same bytes moved elsewhere
 * have the same token (the caller adds locations to its hash if they matter).
 * If a file changes while it is read (size or times differ before and after), it is read
 * again, up to three times, then `InputChanged`.
 */
import { createHash } from 'node:crypto';
import { InputChanged } from '../errors.ts';
import type { ObjectInfo, Store } from './store.ts';

export interface InputFingerprint {
  /** The object's URI (store root + key), for messages and provenance. */
  uri: string;
  size: number;
  /** 's3:<etag>[@<versionId>]' or 'sha256:<64 hex digits>' */
  digest: string;
  /** What identifies the bytes: `${digest}:${size}`. */
  token: string;
  /** What `head` reported when the fingerprint was taken. */
  info: ObjectInfo;
}

/** Digests computed earlier, keyed by location + size + mtime + ctime. A `Map<string, string>` is one. */
export interface DigestCache {
  get(id: string): string | undefined | Promise<string | undefined>;
  set(id: string, digest: string): unknown;
}

export interface FingerprintOptions {
  cache?: DigestCache;
  /** Bytes per ranged read when digesting (default 8 MiB). */
  chunkBytes?: number;
}

export const DIGEST_CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_ATTEMPTS = 3;

/** The fingerprint of the object at `key`. `MissingInput` if it is absent. */
export async function fingerprint(store: Store, key: string, opts: FingerprintOptions = {}): Promise<InputFingerprint> {
  const uri = store.uri + key;
  let info = await store.head(key);
  if (info.etag) {
    const digest = `s3:${info.etag}${info.versionId ? `@${info.versionId}` : ''}`;
    return { uri, size: info.size, digest, token: `${digest}:${info.size}`, info };
  }
  const cacheId = (i: ObjectInfo) => `${uri}\n${i.size}\n${i.modifiedMs}\n${i.changedMs ?? ''}`;
  const cached = await opts.cache?.get(cacheId(info));
  if (cached !== undefined) return { uri, size: info.size, digest: cached, token: `${cached}:${info.size}`, info };

  for (let attempt = 1; ; attempt++) {
    const digest = await digestObject(store, key, info.size, opts.chunkBytes ?? DIGEST_CHUNK_BYTES);
    const after = await store.head(key);
    if (digest !== undefined && sameInfo(info, after)) {
      await opts.cache?.set(cacheId(info), digest);
      return { uri, size: info.size, digest, token: `${digest}:${info.size}`, info };
    }
    if (attempt === MAX_ATTEMPTS) {
      throw new InputChanged(`input '${key}' kept changing while its digest was computed (${MAX_ATTEMPTS} attempts)`, key);
    }
    info = after;
  }
}

/** 'sha256:<hex>' of `bytes`. */
export function digestBytes(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * 'sha256:<hex>' of a sequence of parts (tokens, parameter JSON, table values), each framed
 * by its byte length so that no two different sequences hash the same input.
 */
export function digestParts(parts: readonly (Uint8Array | string)[]): string {
  const h = createHash('sha256');
  const len = new DataView(new ArrayBuffer(8));
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    len.setBigUint64(0, BigInt(bytes.byteLength), true);
    h.update(new Uint8Array(len.buffer));
    h.update(bytes);
  }
  return `sha256:${h.digest('hex')}`;
}

/** SHA-256 of the object's first `size` bytes; undefined if fewer came back (it shrank). */
async function digestObject(store: Store, key: string, size: number, chunk: number): Promise<string | undefined> {
  const h = createHash('sha256');
  for (let start = 0; start < size; start += chunk) {
    const end = Math.min(size, start + chunk);
    const part = await store.get(key, { start, end });
    if (part.byteLength !== end - start) return undefined;
    h.update(part);
  }
  return `sha256:${h.digest('hex')}`;
}

function sameInfo(a: ObjectInfo, b: ObjectInfo): boolean {
  return a.size === b.size && a.modifiedMs === b.modifiedMs && a.changedMs === b.changedMs;
}
