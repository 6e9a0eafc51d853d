/**
 * The storage interface shared by the local-filesystem and S3 engines. Both engines
 * behave alike, errors included: a missing object is `MissingInput` (input = the key),
 * a key that could escape its root is `UnsafeInputKey`.
 */

/** A byte range `[start, end)`. Never a suffix range: callers always know the offsets. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  contentType?: string;
  /**
   * false: the object need not survive a power loss or OS crash (a local store skips the fsync
   * before its atomic rename; a process crash still never leaves a partial object). For
   * objects every reader verifies (sealed intermediates: a torn one is recomputed). @default true
   */
  durable?: boolean;
}

/** What `head` reports about an object, without reading it. */
export interface ObjectInfo {
  size: number;
  /** Last modification in ms since the epoch (local: mtime; S3: LastModified, 1 s resolution). */
  modifiedMs: number;
  /** Local only: inode change time in ms, which (unlike mtime) cannot be set back by hand. */
  changedMs?: number;
  /** S3 only: the ETag without its quotes (MD5 of the bytes for single-part uploads). */
  etag?: string;
  /** S3 only, versioned buckets: the object's version id. */
  versionId?: string;
}

export interface Store {
  /** Where the store is rooted, e.g. 'file:///abs/dir/' or 's3://bucket/prefix/' (always ends in '/'). */
  readonly uri: string;
  /** The object's bytes, or the bytes of `range` clipped to the object. `MissingInput` if absent. */
  get(key: string, range?: ByteRange): Promise<Uint8Array>;
  /** The object decoded as UTF-8. `MissingInput` if absent. */
  getText(key: string): Promise<string>;
  /** Write an object atomically: readers see the old object, nothing, or the whole new one. */
  put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Size in bytes. `MissingInput` if absent. */
  size(key: string): Promise<number>;
  /** Size, modification time and (S3) ETag / version id. `MissingInput` if absent. */
  head(key: string): Promise<ObjectInfo>;
  /** Every key starting with `prefix` (a plain string prefix, '' for all), sorted by UTF-8 bytes. */
  list(prefix: string): AsyncIterable<string>;
  /** Remove an object; no error if it is absent. */
  delete(key: string): Promise<void>;
}

/** Validate a range; returns it unchanged. */
export function checkRange(range: ByteRange): ByteRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range [${start}, ${end})`);
  }
  return range;
}

/** Compare two keys the way S3 orders them: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

const decoder = new TextDecoder('utf-8');
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
