/**
 * An S3-compatible server (s3rver) running in-process on 127.0.0.1 with a free port and
 * a temporary directory, for tests that exercise the S3 engine over real HTTP.
 *
 *   const s3 = await startS3Server({ buckets: ['test-bucket'] });
 *   const restore = s3.useEnv();          // s3Client() now talks to this server
 *   ...
 *   restore(); await s3.stop();
 *
 * `onEvent` receives the server's object-created/removed notification records (the
 * upload-trigger tests feed them to the local trigger path).
 *
 * Listing past the first page needs Node's legacy OpenSSL provider (s3rver encrypts
 * continuation tokens with DES): run tests with NODE_OPTIONS=--openssl-legacy-provider
 * and check `legacyOpenSslAvailable()` before relying on pagination.
 */
import { createCipheriv } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../shared/storage/aws-clients.ts';

interface S3rverOptions {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets?: { name: string }[];
}

/** One record of s3rver's S3-notification-shaped events. */
export interface S3EventRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; eTag?: string; size?: number; sequencer?: string } };
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', fn: (e: { Records: S3EventRecord[] }) => void): void;
  httpServer?: Server;
}

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: S3rverOptions) => S3rverInstance;

/** s3rver's static credentials and the region the tests use. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3RVER_REGION = 'us-east-1';

export interface S3TestServer {
  /** 'http://127.0.0.1:PORT' */
  readonly endpoint: string;
  readonly port: number;
  /** Where s3rver keeps its objects (removed by stop()). */
  readonly directory: string;
  /** A path-style client for this server with s3rver's credentials. */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Environment under which `s3Client()` reaches this server. */
  env(): Record<string, string>;
  /** Apply env() to process.env; returns a function restoring the previous values. */
  useEnv(): () => void;
  stop(): Promise<void>;
}

/** Whether this process can use DES, which s3rver needs for list continuation tokens. */
export function legacyOpenSslAvailable(): boolean {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

export interface S3ServerOptions {
  buckets?: string[];
  /** called with every notification record the server emits (ObjectCreated:Put, ObjectRemoved:Delete, ...) */
  onEvent?: (record: S3EventRecord) => void;
}

export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3TestServer> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'neuroburst-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  if (opts.onEvent) {
    const onEvent = opts.onEvent;
    server.on('event', (e) => {
      for (const r of e.Records) onEvent(r);
    });
  }
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await fs.rm(directory, { recursive: true, force: true });
    throw err;
  }
  const port = address.port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({
    endpoint,
    region: S3RVER_REGION,
    forcePathStyle: true,
    credentials: { ...S3RVER_CREDENTIALS },
  });
  let stopped = false;

  const env = (): Record<string, string> => ({
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: S3RVER_REGION,
  });

  return {
    endpoint,
    port,
    directory,
    client,
    async createBucket(name: string) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    env,
    useEnv() {
      const vars = env();
      const saved = new Map<string, string | undefined>();
      for (const [k, v] of Object.entries(vars)) {
        saved.set(k, process.env[k]);
        process.env[k] = v;
      }
      return () => {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      // Keep-alive sockets from other clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
