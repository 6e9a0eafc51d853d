/**
 * The storage module: both engines run the same integration suite (the S3 engine
 * against s3rver over HTTP on 127.0.0.1, no mocks), plus unit tests for keys, URIs and
 * reference resolution.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MissingInput, UnsafeInputKey } from '../shared/errors.ts';
import { expectNamed, expectRejectsNamed } from './helpers/errors.ts';
import {
  LocalStore,
  S3Store,
  assertSafeKey,
  createS3Client,
  existsUri,
  joinKey,
  parseUri,
  readUri,
  resetS3Clients,
  resolveRef,
  s3Client,
  sizeUri,
  storeForUri,
  storeFromEnv,
  type Store,
} from '../shared/storage/index.ts';
import {
  S3RVER_CREDENTIALS,
  legacyOpenSslAvailable,
  startS3Server,
  type S3TestServer,
} from './helpers/s3server.ts';

const BUCKET = 'test-bucket';
const MiB = 1024 * 1024;

const legacyOpenSsl = legacyOpenSslAvailable();
if (!legacyOpenSsl) {
  console.warn(
    '[storage.test] skipping the S3 pagination test: s3rver needs DES for list continuation tokens; ' +
      'run with NODE_OPTIONS=--openssl-legacy-provider',
  );
}

let s3: S3TestServer;
const tmpDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'neuroburst-storage-'));
  tmpDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
});

afterAll(async () => {
  resetS3Clients();
  await s3?.stop();
  await Promise.all(tmpDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

/** Deterministic, non-repeating-ish bytes so misplaced parts or ranges are caught. */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Record the S3 commands a client sends. */
function recordCommands(client: S3Client): string[] {
  const seen: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandsForTest' },
  );
  return seen;
}

let prefixCounter = 0;

interface Engine {
  name: 'local' | 's3';
  make(): Promise<Store>;
}

const engines: Engine[] = [
  { name: 'local', make: async () => new LocalStore(await tempDir()) },
  {
    name: 's3',
    make: async () => new S3Store({ bucket: BUCKET, prefix: `suite-${++prefixCounter}`, client: s3.client }),
  },
];

const UNSAFE_KEYS = [
  '',
  '/etc/passwd',
  '..',
  '.',
  '../x',
  'a/../../etc/passwd',
  'a/./b',
  'a//b',
  'a/',
  'a\\b',
  '..\\x',
  'a\u0000b',
  'a\nb',
  'a\u007fb',
];

describe.each(engines)('$name store', ({ name, make }) => {
  let store: Store;

  beforeAll(async () => {
    store = await make();
  });

  it('has a root URI ending in /', () => {
    expect(store.uri.endsWith('/')).toBe(true);
    expect(store.uri.startsWith(name === 'local' ? 'file:///' : `s3://${BUCKET}/suite-`)).toBe(true);
  });

  it('puts and gets bytes and text, overwriting', async () => {
    const data = pattern(1000);
    await store.put('rw/a.bin', data);
    expect(await store.get('rw/a.bin')).toEqual(data);

    await store.put('rw/a.bin', 'replaced', { contentType: 'text/plain' });
    expect(await store.getText('rw/a.bin')).toBe('replaced');

    const text = 'héllo — 脳 🧠\n';
    await store.put('rw/deep/er/t.json', text);
    expect(await store.getText('rw/deep/er/t.json')).toBe(text);
    expect(await store.size('rw/deep/er/t.json')).toBe(bytes(text).length);

    await store.put('rw/empty', new Uint8Array(0));
    expect(await store.get('rw/empty')).toEqual(new Uint8Array(0));
    expect(await store.size('rw/empty')).toBe(0);
  });

  it('accepts dot-prefixed names and literal percent escapes as ordinary keys', async () => {
    await store.put('.work/job/..hidden', 'a');
    await store.put('lit/%2e%2e/x', 'b');
    expect(await store.getText('.work/job/..hidden')).toBe('a');
    expect(await store.getText('lit/%2e%2e/x')).toBe('b');
    expect(await collect(store.list('lit/'))).toEqual(['lit/%2e%2e/x']);
  });

  it('gets byte ranges [start, end), clipped at the end of the object', async () => {
    const data = pattern(1000, 7);
    await store.put('range/obj', data);
    expect(await store.get('range/obj', { start: 10, end: 20 })).toEqual(data.slice(10, 20));
    expect(await store.get('range/obj', { start: 0, end: 1 })).toEqual(data.slice(0, 1));
    expect(await store.get('range/obj', { start: 999, end: 1000 })).toEqual(data.slice(999));
    expect(await store.get('range/obj', { start: 0, end: 1000 })).toEqual(data);
    // runs past the end -> clipped
    expect(await store.get('range/obj', { start: 990, end: 5000 })).toEqual(data.slice(990));
    // starts at / past the end -> nothing
    expect(await store.get('range/obj', { start: 1000, end: 1010 })).toEqual(new Uint8Array(0));
    expect(await store.get('range/obj', { start: 4000, end: 5000 })).toEqual(new Uint8Array(0));
    // empty range
    expect(await store.get('range/obj', { start: 5, end: 5 })).toEqual(new Uint8Array(0));
    await expect(store.get('range/obj', { start: 5, end: 4 })).rejects.toThrow(RangeError);
    await expect(store.get('range/obj', { start: -1, end: 4 })).rejects.toThrow(RangeError);
  });

  it('reports exists and size', async () => {
    await store.put('ex/present', pattern(123));
    expect(await store.exists('ex/present')).toBe(true);
    expect(await store.exists('ex/absent')).toBe(false);
    expect(await store.exists('ex')).toBe(false); // a "directory" is not an object
    expect(await store.size('ex/present')).toBe(123);
  });

  it('raises MissingInput naming the key for absent objects', async () => {
    await store.put('miss/file', 'x');
    await expectRejectsNamed(store.get('miss/nope'), MissingInput, 'miss/nope');
    await expectRejectsNamed(store.get('miss/nope', { start: 0, end: 10 }), MissingInput, 'miss/nope');
    await expectRejectsNamed(store.get('miss/nope', { start: 3, end: 3 }), MissingInput, 'miss/nope');
    await expectRejectsNamed(store.getText('miss/nope'), MissingInput, 'miss/nope');
    await expectRejectsNamed(store.size('miss/nope'), MissingInput, 'miss/nope');
    await expectRejectsNamed(store.get('miss'), MissingInput, 'miss'); // a "directory"
    await expectRejectsNamed(store.get('miss/file/below'), MissingInput, 'miss/file/below');
    await expectRejectsNamed(store.get('nowhere/at/all'), MissingInput, 'nowhere/at/all');
  });

  it('deletes, with no error when absent', async () => {
    await store.put('del/x', 'x');
    await store.delete('del/x');
    expect(await store.exists('del/x')).toBe(false);
    await expectRejectsNamed(store.get('del/x'), MissingInput, 'del/x');
    await store.delete('del/x');
    await store.delete('del/never/was');
  });

  it('lists keys under a string prefix, sorted by UTF-8 bytes', async () => {
    const keys = ['ls/b', 'ls/a/2', 'ls/a/1', 'ls/a-b', 'ls/a0', 'ls/ab/c', 'ls/é', 'ls/z', 'lsx/other'];
    for (const k of keys) await store.put(k, k);
    expect(await collect(store.list('ls/'))).toEqual([
      'ls/a-b', // '-' (0x2d) < '/' (0x2f) < '0' (0x30)
      'ls/a/1',
      'ls/a/2',
      'ls/a0',
      'ls/ab/c',
      'ls/b',
      'ls/z',
      'ls/é',
    ]);
    expect(await collect(store.list('ls/a'))).toEqual(['ls/a-b', 'ls/a/1', 'ls/a/2', 'ls/a0', 'ls/ab/c']);
    expect(await collect(store.list('ls/a/'))).toEqual(['ls/a/1', 'ls/a/2']);
    expect(await collect(store.list('ls'))).toEqual([...(await collect(store.list('ls/'))), 'lsx/other']);
    expect(await collect(store.list('ls/none/'))).toEqual([]);
    expect(await collect(store.list('nothing-here'))).toEqual([]);
    const all = await collect(store.list(''));
    expect(all).toEqual([...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const k of keys) expect(all).toContain(k);
  });

  it.skipIf(name === 's3' && !legacyOpenSsl)('lists more than 1000 keys (pagination)', async () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, 'x')));
    }
    const listed = await collect(store.list('many/'));
    expect(listed.length).toBe(1100);
    expect(listed).toEqual(keys);
  });

  it('round-trips a ~17 MiB object (multipart on S3)', async () => {
    const big = pattern(17 * MiB + 12345, 42);
    await store.put('big/vol.nii', big);
    expect(await store.size('big/vol.nii')).toBe(big.length);
    const back = await store.get('big/vol.nii');
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0);
    // a range straddling the first part boundary
    const r = { start: 8 * MiB - 100, end: 8 * MiB + 100 };
    expect(await store.get('big/vol.nii', r)).toEqual(big.slice(r.start, r.end));
    await store.delete('big/vol.nii');
  });

  it('overwrites whole objects and lists no temporary files', async () => {
    const a = new Uint8Array(2 * MiB).fill(0x61);
    const b = new Uint8Array(3 * MiB).fill(0x62);
    for (let i = 0; i < 4; i++) {
      await store.put('atomic/obj', i % 2 ? b : a);
      const got = await store.get('atomic/obj');
      expect(got.length).toBe(i % 2 ? b.length : a.length);
      expect(got.every((v) => v === (i % 2 ? 0x62 : 0x61))).toBe(true);
    }
    expect(await collect(store.list('atomic/'))).toEqual(['atomic/obj']);
  });

  it('rejects unsafe keys with UnsafeInputKey in every operation', async () => {
    for (const key of UNSAFE_KEYS) {
      await expectRejectsNamed(store.get(key), UnsafeInputKey, key);
      await expectRejectsNamed(store.get(key, { start: 0, end: 1 }), UnsafeInputKey, key);
      await expectRejectsNamed(store.getText(key), UnsafeInputKey, key);
      await expectRejectsNamed(store.put(key, 'evil'), UnsafeInputKey, key);
      await expectRejectsNamed(store.exists(key), UnsafeInputKey, key);
      await expectRejectsNamed(store.size(key), UnsafeInputKey, key);
      await expectRejectsNamed(store.delete(key), UnsafeInputKey, key);
    }
    for (const prefix of ['../', '..', '/abs', 'a//', 'a/../', './', 'a\\']) {
      await expectRejectsNamed(collect(store.list(prefix)), UnsafeInputKey, prefix);
    }
  });
});

describe('LocalStore specifics', () => {
  it('roots at a directory, writes files there and creates parent directories', async () => {
    const dir = await tempDir();
    const store = new LocalStore(dir);
    expect(store.uri).toBe(`${pathToFileURL(dir).href}/`);
    await store.put('x/y/z.txt', 'hi');
    expect(await fs.readFile(path.join(dir, 'x', 'y', 'z.txt'), 'utf8')).toBe('hi');
  });

  it('never exposes a partial object to concurrent readers and leaves no temp file', async () => {
    const dir = await tempDir();
    const store = new LocalStore(dir);
    const a = new Uint8Array(4 * MiB).fill(0x61);
    const b = new Uint8Array(6 * MiB).fill(0x62);
    await store.put('obj', a);
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 0; i < 12; i++) await store.put('obj', i % 2 ? a : b);
      } finally {
        writing = false;
      }
    })();
    let reads = 0;
    while (writing) {
      const got = await store.get('obj');
      const fill = got[0];
      const ok =
        (fill === 0x61 && got.length === a.length) || (fill === 0x62 && got.length === b.length);
      expect(ok).toBe(true);
      expect(got.every((v) => v === fill)).toBe(true);
      expect(await collect(store.list(''))).toEqual(['obj']);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(await fs.readdir(dir)).toEqual(['obj']);
  });

  it('cleans up its temp file when the final rename fails', async () => {
    const dir = await tempDir();
    const store = new LocalStore(dir);
    await store.put('d/inner', 'x'); // 'd' is now a directory
    await expect(store.put('d', 'cannot replace a directory')).rejects.toThrow();
    expect(await fs.readdir(dir)).toEqual(['d']);
    expect(await fs.readdir(path.join(dir, 'd'))).toEqual(['inner']);
  });

  it('writes nothing outside its root for unsafe keys', async () => {
    const parent = await tempDir();
    const root = path.join(parent, 'root');
    const store = new LocalStore(root);
    await expectRejectsNamed(store.put('../escaped', 'x'), UnsafeInputKey, '../escaped');
    await expectRejectsNamed(store.put('a/../../escaped', 'x'), UnsafeInputKey, 'a/../../escaped');
    expect(await fs.readdir(parent)).toEqual([]);
  });
});

describe('S3Store specifics', () => {
  it('uploads bodies over 8 MiB in 8 MiB parts via multipart upload, smaller ones in one PUT', async () => {
    const client = createS3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...S3RVER_CREDENTIALS },
    });
    try {
      const seen = recordCommands(client);
      const store = new S3Store({ bucket: BUCKET, prefix: 'multipart', client });
      const big = pattern(17 * MiB, 3);
      await store.put('vol.nii', big);
      expect(seen.filter((c) => c === 'CreateMultipartUploadCommand')).toHaveLength(1);
      expect(seen.filter((c) => c === 'UploadPartCommand')).toHaveLength(3); // 8 + 8 + 1 MiB
      expect(seen.filter((c) => c === 'CompleteMultipartUploadCommand')).toHaveLength(1);
      expect(seen).not.toContain('PutObjectCommand');
      expect(Buffer.from(await store.get('vol.nii')).equals(Buffer.from(big))).toBe(true);

      seen.length = 0;
      await store.put('exactly-8MiB', pattern(8 * MiB, 4));
      expect(seen).toEqual(['PutObjectCommand']);
      expect(await store.size('exactly-8MiB')).toBe(8 * MiB);
    } finally {
      client.destroy();
    }
  });

  it('keeps keys relative to its prefix', async () => {
    const store = new S3Store({ bucket: BUCKET, prefix: 'nested/pre/', client: s3.client });
    expect(store.uri).toBe(`s3://${BUCKET}/nested/pre/`);
    await store.put('k/1', 'one');
    const root = new S3Store({ bucket: BUCKET, client: s3.client });
    expect(root.uri).toBe(`s3://${BUCKET}/`);
    expect(await root.getText('nested/pre/k/1')).toBe('one');
    expect(await collect(store.list(''))).toEqual(['k/1']);
    expect(await collect(root.list('nested/'))).toEqual(['nested/pre/k/1']);
  });

  it('maps a missing bucket to MissingInput', async () => {
    const store = new S3Store({ bucket: 'no-such-bucket', client: s3.client });
    await expectRejectsNamed(store.get('k'), MissingInput, 'k');
    await expectRejectsNamed(store.size('k'), MissingInput, 'k');
    expect(await store.exists('k')).toBe(false);
  });

  it('rejects unsafe prefixes and bucket names', () => {
    expectNamed(() => new S3Store({ bucket: BUCKET, prefix: '../x' }), UnsafeInputKey);
    expectNamed(() => new S3Store({ bucket: BUCKET, prefix: '/abs' }), UnsafeInputKey);
    expectNamed(() => new S3Store({ bucket: 'Bad_Bucket' }), UnsafeInputKey);
    expectNamed(() => new S3Store({ bucket: 'a/b' }), UnsafeInputKey);
  });
});

describe('s3Client() factory', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    resetS3Clients();
  });

  it('reaches the server named by AWS_ENDPOINT_URL with env credentials', async () => {
    const restore = s3.useEnv();
    try {
      const store = new S3Store({ bucket: BUCKET, prefix: 'env-client' });
      await store.put('a', 'via env');
      expect(await store.getText('a')).toBe('via env');
      const client = s3Client();
      expect(client.config.forcePathStyle).toBe(true);
      expect(await client.config.region()).toBe('us-east-1');
    } finally {
      restore();
    }
  });

  it('caches per endpoint and prefers AWS_ENDPOINT_URL_S3', async () => {
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.NEUROBURST_S3_PATH_STYLE;
    process.env.AWS_REGION = 'eu-west-2';
    const plain = s3Client();
    expect(s3Client()).toBe(plain);
    expect(plain.config.forcePathStyle).toBe(false);
    expect(await plain.config.region()).toBe('eu-west-2');

    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
    const one = s3Client();
    expect(one).not.toBe(plain);
    expect(one.config.forcePathStyle).toBe(true);
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:2';
    const two = s3Client();
    expect(two).not.toBe(one);
    const ep = await two.config.endpoint?.();
    expect(ep?.port).toBe(2);

    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_S3;
    process.env.NEUROBURST_S3_PATH_STYLE = '1';
    expect(s3Client().config.forcePathStyle).toBe(true);

    delete process.env.AWS_REGION;
    process.env.AWS_DEFAULT_REGION = 'ap-south-1';
    expect(await s3Client().config.region()).toBe('ap-south-1');
  });
});

describe('assertSafeKey / joinKey', () => {
  it('accepts ordinary relative keys unchanged', () => {
    for (const key of ['a', 'a/b/c.nii.gz', '.work/job-1/x', '..foo/bar..', 'a/%2e%2e/b', 'sub-01/ses 1/T1w.nii', 'ünï/脳']) {
      expect(assertSafeKey(key, 'field')).toBe(key);
    }
  });

  it('rejects empty, absolute, backslash, dot segments, empty segments and control characters', () => {
    for (const key of UNSAFE_KEYS) expectNamed(() => assertSafeKey(key, 'inputs.maps[0]'), UnsafeInputKey, 'inputs.maps[0]');
    expectNamed(() => assertSafeKey('a/'.repeat(600) + 'b', 'k'), UnsafeInputKey); // > 1024 bytes
    expectNamed(() => assertSafeKey('a\ud800b', 'k'), UnsafeInputKey); // unpaired surrogate
  });

  it('joins parts with single slashes, validating each part', () => {
    expect(joinKey('work/', 'job1', 'shard/0.bin')).toBe('work/job1/shard/0.bin');
    expect(joinKey('', 'results//', 'x')).toBe('results/x');
    expectNamed(() => joinKey('work', '../x'), UnsafeInputKey, '../x');
    expectNamed(() => joinKey('work', '/etc'), UnsafeInputKey, '/etc');
    expectNamed(() => joinKey('work', 'a//b'), UnsafeInputKey, 'a//b');
    expectNamed(() => joinKey('..', 'x'), UnsafeInputKey, '..');
    expectNamed(() => joinKey('', ''), UnsafeInputKey);
  });
});

describe('parseUri', () => {
  it('parses s3, file and plain absolute paths', () => {
    expect(parseUri('s3://bucket-1/jobs/j1/job.json')).toEqual({ scheme: 's3', bucket: 'bucket-1', path: 'jobs/j1/job.json' });
    expect(parseUri('s3://bucket-1/jobs/')).toEqual({ scheme: 's3', bucket: 'bucket-1', path: 'jobs/' });
    expect(parseUri('s3://bucket-1')).toEqual({ scheme: 's3', bucket: 'bucket-1', path: '' });
    expect(parseUri('file:///data/in%20put/x.nii')).toEqual({ scheme: 'file', path: '/data/in put/x.nii' });
    expect(parseUri('file://localhost/data/x')).toEqual({ scheme: 'file', path: '/data/x' });
    expect(parseUri('/data/./a/../x.nii')).toEqual({ scheme: 'file', path: '/data/x.nii' });
    // URL semantics: '%2e%2e' in a file URI is '..', resolved before anything else sees it
    expect(parseUri('file:///data/%2e%2e/etc/passwd')).toEqual({ scheme: 'file', path: '/etc/passwd' });
    // s3 keys are literal: '%2e%2e' is just a name
    expect(parseUri('s3://b-1/a/%2e%2e/x').path).toBe('a/%2e%2e/x');
  });

  it('rejects relative, malformed and unsupported URIs', () => {
    for (const uri of [
      '',
      'relative/path',
      './x',
      'http://example.com/x',
      'ftp://h/x',
      's3://',
      's3:///key',
      's3://Bad_Bucket/x',
      's3://bucket/a/../b',
      's3://bucket//x',
      's3://bucket/a\\b',
      'file://remote-host/x',
      'file:///x?y=1',
      '/a\u0000b',
    ]) {
      expectNamed(() => parseUri(uri), UnsafeInputKey, uri);
    }
  });
});

describe('resolveRef', () => {
  const s3Base = 's3://lab-bucket/jobs/j1/';
  const fileBase = 'file:///data/jobs/j1/';

  it('joins relative refs to the base folder', () => {
    expect(resolveRef('maps/sub-01.nii.gz', s3Base)).toBe('s3://lab-bucket/jobs/j1/maps/sub-01.nii.gz');
    expect(resolveRef('maps/sub-01.nii.gz', 's3://lab-bucket/jobs/j1')).toBe('s3://lab-bucket/jobs/j1/maps/sub-01.nii.gz');
    expect(resolveRef('x.tsv', 's3://lab-bucket')).toBe('s3://lab-bucket/x.tsv');
    expect(resolveRef('./participants.tsv', s3Base)).toBe('s3://lab-bucket/jobs/j1/participants.tsv');
    expect(resolveRef('maps/sub 01.nii', fileBase)).toBe('file:///data/jobs/j1/maps/sub%2001.nii');
    expect(resolveRef('x.nii', '/data/jobs/j1')).toBe('file:///data/jobs/j1/x.nii');
  });

  it('treats percent escapes in relative refs literally', () => {
    expect(resolveRef('%2e%2e/x', s3Base)).toBe('s3://lab-bucket/jobs/j1/%2e%2e/x');
    const local = resolveRef('%2e%2e/x', fileBase);
    expect(parseUri(local).path).toBe('/data/jobs/j1/%2e%2e/x');
  });

  it('rejects .. and other unsafe relative refs, naming the ref', () => {
    for (const ref of ['..', '../x', 'a/../../etc/passwd', 'maps/../../../secret', 'a/./b', 'a//b', 'a\\..\\b', 'a\u0000', 'http://evil/x', 'c:/x', '']) {
      for (const base of [s3Base, fileBase]) {
        expectNamed(() => resolveRef(ref, base), UnsafeInputKey, ref);
      }
    }
  });

  it('allows s3 refs only in the base bucket or policy.allowedBuckets', () => {
    expect(resolveRef('s3://lab-bucket/shared/atlas.nii.gz', s3Base)).toBe('s3://lab-bucket/shared/atlas.nii.gz');
    expectNamed(() => resolveRef('s3://other-bucket/x.nii', s3Base), UnsafeInputKey, 's3://other-bucket/x.nii');
    expect(resolveRef('s3://atlas-bucket/x.nii', s3Base, { allowedBuckets: ['atlas-bucket'] })).toBe('s3://atlas-bucket/x.nii');
    expectNamed(() => resolveRef('s3://lab-bucket/a/../b', s3Base), UnsafeInputKey, 's3://lab-bucket/a/../b');
    expectNamed(() => resolveRef('s3://lab-bucket', s3Base), UnsafeInputKey, 's3://lab-bucket');
    // a local job has no bucket of its own
    expectNamed(() => resolveRef('s3://lab-bucket/x', fileBase), UnsafeInputKey, 's3://lab-bucket/x');
    expect(resolveRef('s3://lab-bucket/x', fileBase, { allowedBuckets: ['lab-bucket'] })).toBe('s3://lab-bucket/x');
  });

  it('allows local absolute refs only from a local base, within allowedRoots', () => {
    expectNamed(() => resolveRef('/etc/passwd', s3Base), UnsafeInputKey, '/etc/passwd');
    expectNamed(() => resolveRef('file:///etc/passwd', s3Base), UnsafeInputKey, 'file:///etc/passwd');

    expect(resolveRef('/srv/atlas/x.nii', fileBase)).toBe('file:///srv/atlas/x.nii');
    expect(resolveRef('file:///srv/atlas/x.nii', fileBase)).toBe('file:///srv/atlas/x.nii');

    const policy = { allowedRoots: ['/data', 'file:///srv/atlas/'] };
    expect(resolveRef('/data/other/x.nii', fileBase, policy)).toBe('file:///data/other/x.nii');
    expect(resolveRef('file:///srv/atlas/x.nii', fileBase, policy)).toBe('file:///srv/atlas/x.nii');
    expect(resolveRef('rel.nii', fileBase, policy)).toBe('file:///data/jobs/j1/rel.nii');
    for (const ref of [
      '/etc/passwd',
      '/data/../etc/passwd',
      '/database/x.nii', // shares a string prefix with /data, but is not under it
      'file:///data/%2e%2e/etc/passwd',
      'file:///data/../etc/passwd',
      '/srv/atlas-evil/x',
    ]) {
      expectNamed(() => resolveRef(ref, fileBase, policy), UnsafeInputKey, ref);
    }
    expectNamed(() => resolveRef('/data/x', fileBase, { allowedRoots: [] }), UnsafeInputKey, '/data/x');
  });
});

describe('URI helpers and storeFromEnv', () => {
  it('reads local files by URI through a store on their directory', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'in.bin'), pattern(100, 9));
    const uri = pathToFileURL(path.join(dir, 'in.bin')).href;
    const { store, key } = storeForUri(uri);
    expect(store).toBeInstanceOf(LocalStore);
    expect(store.uri).toBe(`${pathToFileURL(dir).href}/`);
    expect(key).toBe('in.bin');
    expect(storeForUri(path.join(dir, 'other')).store).toBe(store); // cached

    expect(await readUri(uri)).toEqual(pattern(100, 9));
    expect(await readUri(uri, { start: 90, end: 200 })).toEqual(pattern(100, 9).slice(90));
    expect(await sizeUri(uri)).toBe(100);
    expect(await existsUri(uri)).toBe(true);
    const missing = pathToFileURL(path.join(dir, 'nope.nii')).href;
    expect(await existsUri(missing)).toBe(false);
    await expectRejectsNamed(readUri(missing), MissingInput, missing);
    await expectRejectsNamed(sizeUri(missing), MissingInput, missing);
    expectNamed(() => storeForUri('s3://lab-bucket/folder/'), UnsafeInputKey);
    expectNamed(() => storeForUri('/'), UnsafeInputKey);
  });

  it('reads S3 objects by URI with the env-configured client', async () => {
    const restore = s3.useEnv();
    try {
      await new S3Store({ bucket: BUCKET, client: s3.client }).put('uri/obj.bin', pattern(50, 5));
      const uri = `s3://${BUCKET}/uri/obj.bin`;
      const { store, key } = storeForUri(uri);
      expect(store).toBeInstanceOf(S3Store);
      expect(key).toBe('uri/obj.bin');
      expect(await readUri(uri)).toEqual(pattern(50, 5));
      expect(await readUri(uri, { start: 10, end: 20 })).toEqual(pattern(50, 5).slice(10, 20));
      expect(await sizeUri(uri)).toBe(50);
      expect(await existsUri(uri)).toBe(true);
      expect(await existsUri(`s3://${BUCKET}/uri/none`)).toBe(false);
      await expectRejectsNamed(readUri(`s3://${BUCKET}/uri/none`), MissingInput, `s3://${BUCKET}/uri/none`);
    } finally {
      restore();
      resetS3Clients();
    }
  });

  it('builds the work/results store from NEUROBURST_STORE', async () => {
    const saved = process.env.NEUROBURST_STORE;
    const restore = s3.useEnv();
    try {
      delete process.env.NEUROBURST_STORE;
      expect(() => storeFromEnv()).toThrow(/NEUROBURST_STORE/);
      process.env.NEUROBURST_STORE = 'relative/dir';
      expect(() => storeFromEnv()).toThrow(/NEUROBURST_STORE/);

      const dir = await tempDir();
      process.env.NEUROBURST_STORE = pathToFileURL(dir).href;
      const local = storeFromEnv();
      expect(local).toBeInstanceOf(LocalStore);
      expect(local.uri).toBe(`${pathToFileURL(dir).href}/`);
      process.env.NEUROBURST_STORE = dir;
      expect(storeFromEnv().uri).toBe(local.uri);

      process.env.NEUROBURST_STORE = `s3://${BUCKET}/env-store`;
      const remote = storeFromEnv();
      expect(remote).toBeInstanceOf(S3Store);
      expect(remote.uri).toBe(`s3://${BUCKET}/env-store/`);
      await remote.put('work/j/x.json', '{"ok":true}');
      expect(await new S3Store({ bucket: BUCKET, client: s3.client }).getText('env-store/work/j/x.json')).toBe('{"ok":true}');
      process.env.NEUROBURST_STORE = `s3://${BUCKET}`;
      expect(storeFromEnv().uri).toBe(`s3://${BUCKET}/`);
    } finally {
      restore();
      resetS3Clients();
      if (saved === undefined) delete process.env.NEUROBURST_STORE;
      else process.env.NEUROBURST_STORE = saved;
    }
  });
});
