/**
 * The one place S3 clients are built. Handlers, the runner and tests all get their
 * clients here so endpoint, path-style and checksum settings stay consistent.
 */
import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region?: string;
  /** e.g. 'http://127.0.0.1:4568' for a local S3-compatible server. */
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Build a new client. Checksums are computed and validated only when an operation
 * requires them: S3-compatible servers do not all understand the SDK's default
 * CRC32 trailers, and S3 itself still checks Content-MD5/ETags.
 */
export function createS3Client(opts: S3ClientOptions = {}): S3Client {
  return new S3Client({
    region: opts.region ?? 'us-east-1',
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The client settings the environment asks for. */
export function s3ClientOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3ClientOptions {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const forcePathStyle = Boolean(endpoint) || env.NEUROBURST_S3_PATH_STYLE === '1';
  return { region, endpoint, forcePathStyle };
}

const clients = new Map<string, S3Client>();

/**
 * THE factory for S3 clients. Region from AWS_REGION / AWS_DEFAULT_REGION (default
 * us-east-1); endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; path-style
 * addressing when an endpoint is set or NEUROBURST_S3_PATH_STYLE=1. Credentials come
 * from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, role, ...).
 * Clients are cached per (endpoint, region, path style), so the environment is read
 * on every call and a changed endpoint gets a fresh client.
 */
export function s3Client(): S3Client {
  const opts = s3ClientOptionsFromEnv();
  const cacheKey = `${opts.endpoint ?? ''}|${opts.region}|${opts.forcePathStyle ? 'path' : 'vhost'}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = createS3Client(opts);
    clients.set(cacheKey, client);
  }
  return client;
}

/** Destroy and forget every cached client (closes their sockets). */
export function resetS3Clients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}
