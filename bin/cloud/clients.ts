/**
 * The one factory for the cloud CLI's AWS clients. Endpoints follow the AWS SDK
 * convention: a per-service variable (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SFN) wins
 * over AWS_ENDPOINT_URL; unset = the service's public endpoint in AWS_REGION /
 * AWS_DEFAULT_REGION (default us-east-1). Credentials come from the SDK's default chain
 * (or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of an explicitly passed environment).
 *
 * S3 is the project's S3 client (shared/storage/aws-clients.ts); Step Functions is
 * @aws-sdk/client-sfn behind `sfnClient().send(action, body)`, which takes the API's JSON
 * shapes and turns service errors into errors named by their code.
 */
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
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

/** The Step Functions actions the CLI uses, by API name. */
const COMMANDS = {
  DescribeExecution: DescribeExecutionCommand,
  DescribeMapRun: DescribeMapRunCommand,
  GetExecutionHistory: GetExecutionHistoryCommand,
  ListStateMachines: ListStateMachinesCommand,
  StartExecution: StartExecutionCommand,
  StopExecution: StopExecutionCommand,
} as const;
export type SfnAction = keyof typeof COMMANDS;

export interface SfnClient {
  /** where requests go: the endpoint variable, or the public regional endpoint */
  readonly endpoint: string;
  readonly client: SFNClient;
  send<T = Record<string, unknown>>(action: SfnAction, body: Record<string, unknown>): Promise<T>;
}

/** Step Functions client from the environment (see the module comment). */
export function sfnClient(env: NodeJS.ProcessEnv = process.env): SfnClient {
  const region = regionFromEnv(env);
  const configured = endpointFor('SFN', env)?.replace(/\/+$/, '');
  const endpoint = configured ?? `https://states.${region}.amazonaws.com`;
  const credentials =
    env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : undefined;
  const client = new SFNClient({ region, ...(configured ? { endpoint: configured } : {}), ...(credentials ? { credentials } : {}) });
  return {
    endpoint,
    client,
    async send<T>(action: SfnAction, body: Record<string, unknown>): Promise<T> {
      const Command = COMMANDS[action] as unknown as new (input: Record<string, unknown>) => Parameters<SFNClient['send']>[0];
      try {
        const { $metadata: _m, ...out } = (await client.send(new Command(body))) as Record<string, unknown> & { $metadata?: unknown };
        return out as T;
      } catch (e) {
        const err = e as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
        if (err.$metadata) throw new SfnError(err.name || err.Code || 'SfnError', err.message, err.$metadata.httpStatusCode ?? 0);
        throw e;
      }
    },
  };
}

/** For messages: where the clients point. */
export function describeEndpoints(): string {
  const s3opts = s3ClientOptionsFromEnv();
  return `S3 ${s3opts.endpoint ?? `(AWS, ${s3opts.region})`}, Step Functions ${endpointFor('SFN') ?? `(AWS, ${regionFromEnv()})`}`;
}
