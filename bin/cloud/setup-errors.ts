/**
 * AWS SDK failures that mean "the cloud is not set up here" (no credentials, refused
 * credentials, no permission, unreachable endpoint) turned into CloudNotConfigured, whose
 * message says which variables to set; any other error is returned unchanged.
 */
import { CloudNotConfigured, NeuroburstError } from '../../shared/errors.ts';
import { s3ClientOptionsFromEnv } from '../../shared/storage/index.ts';

const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'CredentialsError', 'ProviderError', 'TokenProviderError']);
const REFUSED = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'AuthFailure',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden', 'AllAccessDisabled']);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'RequestTimeout', 'UND_ERR_CONNECT_TIMEOUT']);

/** Where the clients point and what sets it, for the messages. */
export function cloudSettings(env: NodeJS.ProcessEnv = process.env): string {
  const s3 = s3ClientOptionsFromEnv(env);
  const region = `${env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : 'default'} ${s3.region}`;
  const endpoint = s3.endpoint ? `endpoint ${s3.endpoint}` : 'AWS public endpoints (no AWS_ENDPOINT_URL)';
  const creds = env.AWS_ACCESS_KEY_ID ? 'AWS_ACCESS_KEY_ID set' : env.AWS_PROFILE ? `AWS_PROFILE ${env.AWS_PROFILE}` : 'no AWS_PROFILE or AWS_ACCESS_KEY_ID';
  return `region ${region}, ${endpoint}, ${creds}`;
}

const HOW =
  'set AWS_PROFILE (a profile of ~/.aws/config, e.g. after `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials), ' +
  'AWS_REGION for the stack\'s region, and AWS_ENDPOINT_URL for an S3/Step Functions emulator (LocalStack, MinIO)';

function chain(e: unknown): { name: string; code: string; message: string }[] {
  const out: { name: string; code: string; message: string }[] = [];
  let cur = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } | undefined;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    out.push({ name: String(cur.name ?? ''), code: String(cur.code ?? ''), message: String(cur.message ?? '') });
    if (Array.isArray(cur.errors) && cur.errors[0]) out.push(...chain(cur.errors[0]));
    cur = cur.cause as typeof cur;
  }
  return out;
}

/** CloudNotConfigured for a setup failure of the AWS SDK (see the module comment), else `e` itself. */
export function explainCloudError(e: unknown, what = 'AWS'): unknown {
  if (e instanceof NeuroburstError) return e;
  const links = chain(e);
  const has = (set: Set<string>) => links.some((l) => set.has(l.name) || set.has(l.code));
  const settings = cloudSettings();
  if (has(NO_CREDENTIALS) || links.some((l) => /could not load credentials|credential is missing/i.test(l.message))) {
    return new CloudNotConfigured(`no AWS credentials for ${what} (${settings}): ${HOW}`, 'AWS credentials');
  }
  if (links.some((l) => /region is missing/i.test(l.message))) return new CloudNotConfigured(`no AWS region for ${what}: set AWS_REGION`, 'AWS_REGION');
  if (has(REFUSED)) {
    return new CloudNotConfigured(`the AWS credentials were refused by ${what} (${links[0]!.name}; ${settings}): check AWS_PROFILE / AWS_ACCESS_KEY_ID, that they are not expired, and that AWS_ENDPOINT_URL points at the right service`, 'AWS credentials');
  }
  if (has(DENIED)) {
    return new CloudNotConfigured(`access denied by ${what} (${settings}): the credentials in use lack permission for this bucket or state machine; use the deployment's profile (AWS_PROFILE) or check the bucket name`, 'AWS credentials');
  }
  if (has(NETWORK)) {
    return new CloudNotConfigured(`cannot reach ${what} (${settings}): check AWS_ENDPOINT_URL (unset for AWS itself), AWS_REGION and the network`, 'AWS_ENDPOINT_URL');
  }
  return e;
}

/** Whether an error name (error.json's `error`) is one of the setup failures above. */
export function isCloudSetupErrorName(name: string): boolean {
  return NO_CREDENTIALS.has(name) || REFUSED.has(name) || DENIED.has(name) || NETWORK.has(name);
}

/** The advice for a setup failure seen only by name (a task's error in a workflow). */
export function cloudAdvice(name: string): string | undefined {
  if (NO_CREDENTIALS.has(name)) return `no AWS credentials (${cloudSettings()}): ${HOW}`;
  if (REFUSED.has(name) || DENIED.has(name)) return `AWS refused the request (${cloudSettings()}): check AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_ENDPOINT_URL`;
  if (NETWORK.has(name)) return `AWS unreachable (${cloudSettings()}): check AWS_ENDPOINT_URL and AWS_REGION`;
  return undefined;
}
