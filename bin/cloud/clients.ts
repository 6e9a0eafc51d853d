/**
 * The one factory for the cloud CLI's AWS clients. Endpoints follow the AWS SDK
 * convention: a per-service variable (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SFN) wins
 * over AWS_ENDPOINT_URL; unset = the service's public endpoint in AWS_REGION /
 * AWS_DEFAULT_REGION (default us-east-1). Credentials come from the SDK's default chain.
 *
 * S3 is the project's S3 client (shared/storage/aws-clients.ts). Step Functions speaks
 * the JSON 1.0 protocol signed with SigV4 through a small client here, because the
 * project does not depend on @aws-sdk/client-sfn; `sfnClient().send(action, body)` has
 * the shape of the SDK's commands so swapping it in later is a one-file change.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client, s3ClientOptionsFromEnv } from '../../shared/storage/index.ts';

export function regionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

/** Endpoint for a service: AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > the public one. */
export function endpointFor(service: 'S3' | 'SFN', env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

export function s3(): S3Client {
  return s3Client();
}

/** A SHA-256 hash/HMAC object for SigV4 (the Checksum interface). */
class Sha256 {
  private readonly h;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    /* one-shot */
  }
}

export class SfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = code;
  }
}

export interface SfnClient {
  readonly endpoint: string;
  send<T = Record<string, unknown>>(action: string, body: Record<string, unknown>): Promise<T>;
}

/** Step Functions client (JSON 1.0, `AWSStepFunctions.<Action>`), SigV4-signed. */
export function sfnClient(env: NodeJS.ProcessEnv = process.env): SfnClient {
  const region = regionFromEnv(env);
  const endpoint = (endpointFor('SFN', env) ?? `https://states.${region}.amazonaws.com`).replace(/\/+$/, '');
  const url = new URL(endpoint);
  // credentials: the S3 client's default-chain provider (env vars, profile, SSO, role, ...)
  const credentials = s3Client().config.credentials;
  const signer = new SignatureV4({ service: 'states', region, credentials, sha256: Sha256 as never });
  return {
    endpoint,
    async send<T>(action: string, body: Record<string, unknown>): Promise<T> {
      const payload = JSON.stringify(body);
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname === '' ? '/' : url.pathname,
        query: {},
        headers: {
          host: url.host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AWSStepFunctions.${action}`,
        },
        body: payload,
      });
      const res = await fetch(`${endpoint}/`, { method: 'POST', headers: signed.headers as Record<string, string>, body: payload });
      const text = await res.text();
      const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      if (!res.ok) {
        const code = String(json.__type ?? res.status).split('#').pop()!;
        throw new SfnError(code, String(json.message ?? json.Message ?? text), res.status);
      }
      return json as T;
    },
  };
}

/** For messages: where the clients point. */
export function describeEndpoints(): string {
  const s3opts = s3ClientOptionsFromEnv();
  return `S3 ${s3opts.endpoint ?? `(AWS, ${s3opts.region})`}, Step Functions ${endpointFor('SFN') ?? `(AWS, ${regionFromEnv()})`}`;
}
