/**
 * Storage keys: '/'-separated, relative, and unable to escape the root they are
 * resolved against. Unsafe keys are rejected, never rewritten.
 */
import { UnsafeInputKey } from '../errors.ts';

/** S3's limit on a key's UTF-8 length. */
const MAX_KEY_BYTES = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /\p{Cs}/u;

function reject(why: string, key: string, input: string): never {
  throw new UnsafeInputKey(`unsafe key ${JSON.stringify(key)}: ${why}`, input);
}

/**
 * Check that `key` is a safe relative key and return it. Rejected (`UnsafeInputKey`,
 * with `input` as the error's input): the empty key, absolute paths, backslashes,
 * NUL and other control characters, empty segments ('//' or a trailing '/'), and any
 * '.' or '..' segment. Percent escapes such as '%2e%2e' are not decoded: keys are
 * literal, so '%2e%2e' is an ordinary segment name and cannot climb a directory.
 * The returned key is the input itself (nothing is rewritten).
 */
export function assertSafeKey(key: string, input: string): string {
  if (typeof key !== 'string') reject('not a string', String(key), input);
  if (key === '') reject('empty', key, input);
  if (CONTROL.test(key)) reject('contains a control character', key, input);
  if (LONE_SURROGATE.test(key)) reject('contains an unpaired surrogate', key, input);
  if (key.includes('\\')) reject('contains a backslash', key, input);
  if (key.startsWith('/')) reject('absolute path', key, input);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) reject(`longer than ${MAX_KEY_BYTES} bytes`, key, input);
  for (const segment of key.split('/')) {
    if (segment === '') reject("empty path segment ('//' or trailing '/')", key, input);
    if (segment === '.' || segment === '..') reject(`'${segment}' path segment`, key, input);
  }
  return key;
}

/**
 * Check a listing prefix: '' (everything) or a key, optionally ending in '/'.
 * The part after the last '/' may be any partial segment name except '.' or '..'.
 */
export function assertSafePrefix(prefix: string, input: string): string {
  if (prefix === '') return prefix;
  assertSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, input);
  return prefix;
}

/**
 * Join key parts with single '/'. Trailing slashes on a part are dropped and empty
 * parts ('') skipped; every part is then validated with `assertSafeKey` (so a leading '/',
 * '..' or '.' anywhere is `UnsafeInputKey`).
 */
export function joinKey(...parts: string[]): string {
  const kept: string[] = [];
  for (const part of parts) {
    if (part === '') continue;
    if (part.startsWith('/')) assertSafeKey(part, part); // throws: absolute
    kept.push(assertSafeKey(part.replace(/\/+$/, ''), part));
  }
  const joined = kept.join('/');
  if (joined === '') throw new UnsafeInputKey('unsafe key: empty', parts.join('/'));
  return joined;
}
