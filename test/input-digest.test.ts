/**
 * Input fingerprints (shared/storage/digest.ts) and `Store.head` on both engines (LocalStore
 * and S3Store against s3rver). References: SHA-256 and MD5 computed here in one shot by
 * node:crypto on the whole buffer (the module reads in ranges), the FIPS 180-2 test vector
 * for "abc", and the length framing of `digestParts` written out by hand.
 */
import { createHash } from 'node:crypto';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputChanged, MissingInput } from '../shared/errors.ts';
import { LocalStore, S3Store, type ByteRange, type Store } from '../shared/storage/index.ts';
import { digestBytes, digestParts, fingerprint } from '../shared/storage/digest.ts';

import { expectRejectsNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';
import { startS3Server, type S3TestServer } from './helpers/s3server.ts';
import { tmpDir } from './helpers/tmp.ts';

const BUCKET = 'digest-bucket';
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
});
afterAll(async () => {
  await s3?.stop();
});

function randomBytes(n: number, seed: number): Uint8Array {
  const { u } = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(u() * 256));
}
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** A store wrapper that counts ranged and whole reads. */
function counting(store: Store): { store: Store; reads: ByteRange[] } {
  const reads: ByteRange[] = [];
  const wrapped = Object.create(store) as Store;
  wrapped.get = (key: string, range?: ByteRange) => {
    reads.push(range ?? { start: -1, end: -1 });
    return store.get(key, range);
  };
  return { store: wrapped, reads };
}

describe('digests', () => {
  it('digestBytes is SHA-256 (FIPS 180-2 "abc" vector)', () => {
    expect(digestBytes('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(digestBytes(new Uint8Array(0))).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('digestParts frames every part by its length (no two sequences collide by concatenation)', () => {
    const frame = (s: string) => {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(b.length));
      return Buffer.concat([len, b]);
    };
    expect(digestParts(['ab', 'c'])).toBe(`sha256:${sha256(Buffer.concat([frame('ab'), frame('c')]))}`);
    expect(digestParts(['ab', 'c'])).not.toBe(digestParts(['a', 'bc']));
    expect(digestParts(['abc'])).not.toBe(digestParts(['abc', '']));
    expect(digestParts([Uint8Array.of(1, 2)])).toBe(digestParts([Buffer.from([1, 2])]));
  });
});

describe('local files: size + mtime/ctime + SHA-256 of the bytes', () => {
  const dir = tmpDir('nb-digest-');
  const store = new LocalStore(dir);

  it('head reports size, mtime and ctime; MissingInput when absent', async () => {
    writeFileSync(join(dir, 'h.bin'), randomBytes(321, 1));
    const st = statSync(join(dir, 'h.bin'));
    expect(await store.head('h.bin')).toEqual({ size: 321, modifiedMs: st.mtimeMs, changedMs: st.ctimeMs });
    await expectRejectsNamed(store.head('nope.bin'), MissingInput, 'nope.bin');
    await expectRejectsNamed(fingerprint(store, 'nope.bin'), MissingInput, 'nope.bin');
  });

  it('digests in ranges (chunk boundaries anywhere) to the one-shot SHA-256', async () => {
    const bytes = randomBytes(10_007, 2);
    writeFileSync(join(dir, 'r.bin'), bytes);
    for (const chunkBytes of [1, 7, 4096, 10_006, 10_007, 1 << 20]) {
      const c = counting(store);
      const fp = await fingerprint(c.store, 'r.bin', { chunkBytes });
      expect(fp.digest).toBe(`sha256:${sha256(bytes)}`);
      expect(fp.token).toBe(`sha256:${sha256(bytes)}:10007`);
      expect(fp.size).toBe(10_007);
      expect(fp.uri).toBe(`${store.uri}r.bin`);
      expect(c.reads.length).toBe(Math.ceil(10_007 / chunkBytes));
    }
    writeFileSync(join(dir, 'empty.bin'), new Uint8Array(0));
    expect((await fingerprint(store, 'empty.bin')).token).toBe(`sha256:${sha256(new Uint8Array(0))}:0`);
  });

  it('touch keeps the token; one changed byte with size and mtime restored changes it', async () => {
    const file = join(dir, 'map.nii');
    const bytes = randomBytes(5000, 3);
    writeFileSync(file, bytes);
    const before = await fingerprint(store, 'map.nii');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const touched = await fingerprint(store, 'map.nii');
    expect(touched.token).toBe(before.token);
    expect(touched.info.modifiedMs).not.toBe(before.info.modifiedMs);

    const edited = bytes.slice();
    edited[2500]! ^= 0x10;
    const st = statSync(file);
    writeFileSync(file, edited);
    utimesSync(file, st.atime, st.mtime);
    const after = await fingerprint(store, 'map.nii');
    expect(after.info.size).toBe(touched.info.size);
    expect(after.info.modifiedMs).toBe(touched.info.modifiedMs);
    expect(after.token).not.toBe(touched.token);
    expect(after.digest).toBe(`sha256:${sha256(edited)}`);
  });

  it('a DigestCache skips reading an unchanged file; an edit with mtime restored still misses it (ctime)', async () => {
    const file = join(dir, 'cached.nii');
    const bytes = randomBytes(3000, 4);
    writeFileSync(file, bytes);
    const cache = new Map<string, string>();
    const first = counting(store);
    const fp1 = await fingerprint(first.store, 'cached.nii', { cache });
    expect(first.reads.length).toBe(1);
    expect(cache.size).toBe(1);

    const second = counting(store);
    const fp2 = await fingerprint(second.store, 'cached.nii', { cache });
    expect(second.reads.length).toBe(0);
    expect(fp2.token).toBe(fp1.token);

    const edited = bytes.slice();
    edited[0]! ^= 1;
    const st = statSync(file);
    await new Promise((r) => setTimeout(r, 20)); // let the clock move so the ctime differs
    writeFileSync(file, edited);
    utimesSync(file, st.atime, st.mtime);
    const third = counting(store);
    const fp3 = await fingerprint(third.store, 'cached.nii', { cache });
    expect(third.reads.length).toBe(1);
    expect(fp3.digest).toBe(`sha256:${sha256(edited)}`);
  });

  it('a file that keeps changing while read is InputChanged', async () => {
    writeFileSync(join(dir, 'moving.bin'), randomBytes(100, 5));
    let n = 0;
    const moving = Object.create(store) as Store;
    moving.get = async (key: string, range?: ByteRange) => {
      const out = await store.get(key, range);
      writeFileSync(join(dir, 'moving.bin'), randomBytes(100 + ++n, 6)); // grows under the reader
      return out;
    };
    await expectRejectsNamed(fingerprint(moving, 'moving.bin'), InputChanged, 'moving.bin');

    // one change during the first read only: the second read is stable and wins
    writeFileSync(join(dir, 'once.bin'), randomBytes(100, 7));
    let changed = false;
    const final = randomBytes(120, 8);
    const once = Object.create(store) as Store;
    once.get = async (key: string, range?: ByteRange) => {
      const out = await store.get(key, range);
      if (!changed) writeFileSync(join(dir, 'once.bin'), final);
      changed = true;
      return out;
    };
    const fp = await fingerprint(once, 'once.bin');
    expect(fp.digest).toBe(`sha256:${sha256(final)}`);
    expect(fp.size).toBe(120);
  });
});

describe('S3 objects: ETag (+ version id) from HEAD, no bytes read', () => {
  let store: S3Store;
  beforeAll(() => {
    store = new S3Store({ bucket: BUCKET, prefix: 'inputs', client: s3.client });
  });

  it('head reports size, LastModified and the unquoted ETag; MissingInput when absent', async () => {
    const bytes = randomBytes(2048, 11);
    const t0 = Date.now();
    await store.put('sub-01/map.nii.gz', bytes);
    const info = await store.head('sub-01/map.nii.gz');
    expect(info.size).toBe(2048);
    expect(info.etag).toBe(md5(bytes)); // single-part upload: the MD5 of the bytes
    expect(info.versionId).toBeUndefined(); // s3rver does not version
    expect(Math.abs(info.modifiedMs - t0)).toBeLessThan(60_000);
    await expectRejectsNamed(store.head('sub-01/none.nii.gz'), MissingInput, 'sub-01/none.nii.gz');
    await expectRejectsNamed(fingerprint(store, 'sub-01/none.nii.gz'), MissingInput, 'sub-01/none.nii.gz');
  });

  it('the token follows the bytes: same bytes same token, one changed byte a new one; nothing is read', async () => {
    const bytes = randomBytes(4096, 12);
    await store.put('a.nii', bytes);
    await store.put('b.nii', bytes);
    const c = counting(store);
    const a = await fingerprint(c.store, 'a.nii');
    const b = await fingerprint(c.store, 'b.nii');
    expect(c.reads).toEqual([]);
    expect(a.token).toBe(`s3:${md5(bytes)}:4096`);
    expect(b.token).toBe(a.token);
    expect(a.uri).toBe(`s3://${BUCKET}/inputs/a.nii`);

    const edited = bytes.slice();
    edited[4000]! ^= 0x80;
    await store.put('a.nii', edited);
    const a2 = await fingerprint(c.store, 'a.nii');
    expect(a2.token).toBe(`s3:${md5(edited)}:4096`);
    expect(a2.token).not.toBe(a.token);
    expect(c.reads).toEqual([]);
  });
});
