/**
 * Verified intermediates (shared/storage/verified.ts) on both engines (LocalStore and
 * S3Store against s3rver): round trips, the envelope layout against bytes built here by
 * hand, and every way a shard can go bad — random bytes of the same length, zeros, NaN
 * floats (over the whole object or the payload only), truncation at every length, extra
 * bytes, single-bit flips, another kind or version, and an object written without an envelope.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CorruptIntermediate, NeuroburstError } from '../shared/errors.ts';
import { LocalStore, S3Store, type Store } from '../shared/storage/index.ts';
import {
  ENVELOPE_HEADER_BYTES,
  getVerified,
  getVerifiedJson,
  openEnvelope,
  putVerified,
  putVerifiedJson,
  requireVerified,
  requireVerifiedJson,
  sealEnvelope,
  verifiedStatus,
} from '../shared/storage/verified.ts';

import { expectNamed, expectRejectsNamed } from './helpers/errors.ts';
import { rng } from './helpers/rng.ts';
import { startS3Server, type S3TestServer } from './helpers/s3server.ts';
import { tmpDir } from './helpers/tmp.ts';

const BUCKET = 'verified-bucket';
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

/** Byte equality without vitest's element-by-element diff (slow on MiB buffers). */
function expectSameBytes(actual: Uint8Array | null, expected: Uint8Array): void {
  expect(actual).not.toBeNull();
  expect(actual!.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(Buffer.from(actual!.buffer, actual!.byteOffset, actual!.byteLength), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0);
}

function floatBytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** The version-1 envelope written out by hand from the layout in verified.ts. */
function handEnvelope(payload: Uint8Array, kind: number): Uint8Array {
  const header = new Uint8Array(16);
  header.set([0x4e, 0x42, 0x56, 0x46, 1, kind, 0, 0]);
  let n = payload.length;
  for (let i = 8; i < 16; i++) {
    header[i] = n % 256;
    n = Math.floor(n / 256);
  }
  const digest = createHash('sha256').update(Buffer.concat([header, payload])).digest();
  return new Uint8Array(Buffer.concat([header, digest, payload]));
}

describe('envelope layout', () => {
  it('matches the documented header byte for byte (bytes and JSON kinds)', () => {
    for (const payload of [new Uint8Array(0), Uint8Array.of(7), randomBytes(1000, 1), randomBytes(70_000, 2)]) {
      expectSameBytes(sealEnvelope(payload), handEnvelope(payload, 0));
      expectSameBytes(sealEnvelope(payload, 'json'), handEnvelope(payload, 1));
    }
    const sealed = sealEnvelope(Uint8Array.of(1, 2, 3));
    expect(sealed.length).toBe(ENVELOPE_HEADER_BYTES + 3);
    expect(Array.from(sealed.subarray(0, 16))).toEqual([0x4e, 0x42, 0x56, 0x46, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('opens what it seals, as a view 48 bytes in', () => {
    const payload = randomBytes(4096, 3);
    const sealed = sealEnvelope(payload);
    const back = openEnvelope(sealed, 'k');
    expectSameBytes(back, payload);
    expect(back.buffer).toBe(sealed.buffer);
    expect(back.byteOffset).toBe(48);
  });
});

describe('corruption is refused by name (pure envelope)', () => {
  const payload = floatBytes(Array.from({ length: 64 }, (_, i) => Math.sin(i) * 100));
  const sealed = sealEnvelope(payload);

  it('truncation at every length, and extra bytes', () => {
    for (let n = 0; n < sealed.length; n++) {
      const err = expectNamed(() => openEnvelope(sealed.slice(0, n), 'shard/t.bin'), CorruptIntermediate, 'shard/t.bin');
      expect(err.message).toMatch(n < 48 ? /shorter than the 48-byte envelope header/ : /truncated: header declares 256 payload bytes/);
    }
    const longer = new Uint8Array(sealed.length + 1);
    longer.set(sealed);
    expectNamed(() => openEnvelope(longer, 'k'), CorruptIntermediate, { input: 'k', message: /extra bytes/ });
  });

  it('random bytes, zeros and NaN floats of the same length', () => {
    for (let seed = 1; seed <= 50; seed++) {
      expectNamed(() => openEnvelope(randomBytes(sealed.length, seed), 'k'), CorruptIntermediate, 'k');
    }
    expectNamed(() => openEnvelope(new Uint8Array(sealed.length), 'k'), CorruptIntermediate, { message: /wrong magic/ });
    const nan = floatBytes(new Array(sealed.length / 4).fill(NaN));
    expect(nan.length).toBe(sealed.length);
    expectNamed(() => openEnvelope(nan, 'k'), CorruptIntermediate, { message: /wrong magic/ });
  });

  it('the payload overwritten (NaN floats, zeros, random) under an intact header', () => {
    const replacements = [floatBytes(new Array(64).fill(NaN)), new Uint8Array(256), randomBytes(256, 9)];
    for (const r of replacements) {
      const bad = sealed.slice();
      bad.set(r, 48);
      expectNamed(() => openEnvelope(bad, 'k'), CorruptIntermediate, { message: /checksum mismatch/ });
    }
  });

  it('any single flipped bit in the header or the payload', () => {
    for (let byte = 0; byte < sealed.length; byte++) {
      for (const bit of byte < 48 ? [0, 1, 2, 3, 4, 5, 6, 7] : [byte % 8]) {
        const bad = sealed.slice();
        bad[byte]! ^= 1 << bit;
        expectNamed(() => openEnvelope(bad, 'k'), CorruptIntermediate, 'k');
      }
    }
  });

  it('another kind, another version, and a raw object without an envelope', () => {
    expectNamed(() => openEnvelope(sealed, 'k', 'json'), CorruptIntermediate, { message: /kind 0, expected 1/ });
    expectNamed(() => openEnvelope(sealEnvelope(payload, 'json'), 'k'), CorruptIntermediate, { message: /kind 1, expected 0/ });
    const v2 = sealed.slice();
    v2[4] = 2;
    expectNamed(() => openEnvelope(v2, 'k'), CorruptIntermediate, { message: /version 2/ });
    expectNamed(() => openEnvelope(payload, 'k'), CorruptIntermediate, { message: /wrong magic/ });
  });

  it('never echoes the object contents', () => {
    const text = new TextEncoder().encode('root:x:0:0:root:/root:/bin/bash\n'.repeat(4));
    for (const obj of [text, (() => { const s = sealEnvelope(text); s[60]! ^= 1; return s; })()]) {
      const err = expectNamed(() => openEnvelope(obj, 'k'), CorruptIntermediate);
      expect(err.message).not.toMatch(/root|bash/);
    }
  });
});

interface Engine {
  name: string;
  make(): Store;
}
let counter = 0;
const engines: Engine[] = [
  { name: 'local', make: () => new LocalStore(tmpDir('nb-verified-')) },
  { name: 's3', make: () => new S3Store({ bucket: BUCKET, prefix: `verified-${++counter}`, client: s3.client }) },
];

describe.each(engines)('$name store', ({ make }) => {
  let store: Store;
  beforeAll(() => {
    store = make();
  });

  it('round-trips bytes (empty, small, 1 MiB, float32 with NaN and ±Inf values) with aligned payloads', async () => {
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      one: Uint8Array.of(255),
      mib: randomBytes(1 << 20, 4),
      floats: floatBytes([1.5, NaN, -Infinity, Infinity, -0, 3e38]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      await putVerified(store, `rt/${name}.bin`, bytes);
      const back = await getVerified(store, `rt/${name}.bin`);
      expectSameBytes(back, bytes);
      expect(back!.byteOffset % 8).toBe(0);
      expect(await store.size(`rt/${name}.bin`)).toBe(48 + bytes.length);
    }
    const f = await requireVerified(store, 'rt/floats.bin');
    const view = new Float32Array(f.buffer, f.byteOffset, f.byteLength / 4);
    expect(Array.from(view)).toEqual([1.5, NaN, -Infinity, Infinity, -0, Math.fround(3e38)]);
  });

  it('round-trips JSON, checked by a zod schema', async () => {
    const value = { shard: 3, maxT: [6.099, -2.5], name: 'glm · slab', nested: { ok: true, none: null } };
    await putVerifiedJson(store, 'json/a.json', value);
    expect(await getVerifiedJson(store, 'json/a.json')).toEqual(value);
    const schema = z.object({ shard: z.number().int(), maxT: z.array(z.number()) });
    expect(await requireVerifiedJson(store, 'json/a.json', schema.parse)).toEqual({ shard: 3, maxT: [6.099, -2.5] });
    await expectRejectsNamed(getVerifiedJson(store, 'json/a.json', z.object({ shard: z.string() }).parse), CorruptIntermediate, {
      input: 'json/a.json',
      message: /expected shape/,
    });
    // a bytes envelope is not JSON and the reverse
    await putVerified(store, 'json/bytes.bin', new TextEncoder().encode('{"a":1}'));
    await expectRejectsNamed(getVerifiedJson(store, 'json/bytes.bin'), CorruptIntermediate, { message: /kind 0, expected 1/ });
    await expectRejectsNamed(getVerified(store, 'json/a.json'), CorruptIntermediate, { message: /kind 1, expected 0/ });
    await expect(putVerifiedJson(store, 'json/u.json', undefined)).rejects.toThrow(TypeError);
  });

  it('missing: null from get, CorruptIntermediate from require, "missing" status', async () => {
    expect(await getVerified(store, 'none/x.bin')).toBeNull();
    expect(await getVerifiedJson(store, 'none/x.json')).toBeNull();
    await expectRejectsNamed(requireVerified(store, 'none/x.bin'), CorruptIntermediate, { input: 'none/x.bin', message: /missing/ });
    await expectRejectsNamed(requireVerifiedJson(store, 'none/x.json'), CorruptIntermediate, { input: 'none/x.json', message: /missing/ });
    expect(await verifiedStatus(store, 'none/x.bin')).toEqual({ status: 'missing' });
  });

  it('a shard overwritten in storage (same-length random, zeros, NaN, truncated, raw) fails verification', async () => {
    const payload = floatBytes(Array.from({ length: 1000 }, (_, i) => i / 7));
    const key = 'bad/shard-0007.f32';
    const sealed = sealEnvelope(payload);
    const overwrites: Record<string, Uint8Array> = {
      random: randomBytes(sealed.length, 77),
      zeros: new Uint8Array(sealed.length),
      nan: floatBytes(new Array(sealed.length / 4).fill(NaN)),
      nanPayload: (() => {
        const s = sealed.slice();
        s.set(floatBytes(new Array(1000).fill(NaN)), 48);
        return s;
      })(),
      truncated: sealed.slice(0, sealed.length - 1),
      halfHeader: sealed.slice(0, 20),
      empty: new Uint8Array(0),
      raw: payload,
      json: new TextEncoder().encode(JSON.stringify({ looks: 'valid' })),
    };
    for (const [name, bytes] of Object.entries(overwrites)) {
      await putVerified(store, key, payload);
      expect(await verifiedStatus(store, key)).toEqual({ status: 'valid' });
      await store.put(key, bytes);
      const err = await expectRejectsNamed(getVerified(store, key), CorruptIntermediate, key);
      expect(err, name).toBeInstanceOf(NeuroburstError);
      const st = await verifiedStatus(store, key);
      expect(st.status, name).toBe('corrupt');
      if (st.status === 'corrupt') expect(st.error.message).toBe(err.message);
      // the JSON reader refuses it too
      await expectRejectsNamed(getVerifiedJson(store, key), CorruptIntermediate, key);
    }
  });
});
