/**
 * URIs for inputs and stores: 'file:///abs/path', 's3://bucket/key', or a plain
 * absolute local path (treated as a file URI).
 *
 * S3 keys in 's3://' URIs are literal: '%2e%2e' is a segment named '%2e%2e', not '..'.
 * 'file://' URIs are percent-decoded as URLs are; the URL parser folds '%2e%2e' into
 * '..' and resolves it, and the resulting path is normalised before any root check,
 * so no spelling of '..' gets a file reference outside its allowed roots.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MissingInput, UnsafeInputKey } from '../errors.ts';
import { LocalStore } from './local.ts';
import { S3Store, assertBucketName } from './s3.ts';
import { assertSafeKey, joinKey } from './keys.ts';
import type { ByteRange, Store } from './store.ts';

export interface ParsedUri {
  scheme: 'file' | 's3';
  /** Only for 's3'. */
  bucket?: string;
  /** 's3': the key or prefix ('' for the bucket root, may end in '/'); 'file': a normalised absolute path. */
  path: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

function bad(why: string, uri: string): never {
  throw new UnsafeInputKey(`${why}: ${JSON.stringify(uri)}`, uri);
}

/** Parse a storage URI. Malformed, relative or unsupported URIs are `UnsafeInputKey`. */
export function parseUri(uri: string): ParsedUri {
  if (typeof uri !== 'string' || uri === '') bad('empty URI', String(uri));
  if (CONTROL.test(uri)) bad('URI contains a control character', uri);
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const key = slash === -1 ? '' : rest.slice(slash + 1);
    assertBucketName(bucket, uri);
    if (key !== '') assertSafeKey(key.endsWith('/') ? key.slice(0, -1) : key, uri);
    return { scheme: 's3', bucket, path: key };
  }
  if (/^file:/i.test(uri)) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      bad('malformed file URI', uri);
    }
    if (url.host !== '' && url.host !== 'localhost') bad('file URI with a remote host', uri);
    if (url.search !== '' || url.hash !== '') bad('file URI with a query or fragment', uri);
    let p: string;
    try {
      p = fileURLToPath(url);
    } catch {
      bad('malformed file URI', uri);
    }
    if (p.includes('\0')) bad('file URI contains NUL', uri);
    return { scheme: 'file', path: path.resolve(p) };
  }
  if (uri.startsWith('/')) {
    if (uri.includes('\\')) bad('path contains a backslash', uri);
    return { scheme: 'file', path: path.resolve(uri) };
  }
  if (SCHEME.test(uri)) bad('unsupported URI scheme (use file:// or s3://)', uri);
  bad('not an absolute URI or path', uri);
}

/** Format a parsed URI: 'file:///abs/path' or 's3://bucket/key'. */
export function formatUri(parsed: ParsedUri): string {
  if (parsed.scheme === 's3') return `s3://${parsed.bucket}/${parsed.path}`;
  return pathToFileURL(parsed.path).href;
}

function isUnder(p: string, root: string): boolean {
  if (root === path.parse(root).root) return p.startsWith(root);
  return p === root || p.startsWith(root + path.sep);
}

export interface RefPolicy {
  /** Buckets other than the base's own that 's3://' refs may name. */
  allowedBuckets?: string[];
  /** Absolute paths or 'file://' URIs that local refs must fall under; omitted = any local path. */
  allowedRoots?: string[];
  /**
   * 's3://bucket/prefix' locations every 's3://' input must fall under (relative refs
   * included), in place of the same-bucket rule. Default: NEUROBURST_ALLOWED_INPUTS
   * (`allowedInputsFromEnv`); unset = the same-bucket rule alone.
   */
  allowedInputs?: string[];
  /** The work/results store of step jobs (`stepJobOf`); default NEUROBURST_STORE, NEUROBURST_WORK_PREFIX, NEUROBURST_RESULTS_PREFIX. */
  workStore?: WorkStoreLocation;
}

/** Where a deployment keeps intermediates and results: the store URI and its two key prefixes. */
export interface WorkStoreLocation {
  store: string;
  workPrefix: string;
  resultsPrefix: string;
}

/** The work/results store from the environment the stack (and the local runners) set; undefined without NEUROBURST_STORE. */
export function workStoreFromEnv(env: NodeJS.ProcessEnv = process.env): WorkStoreLocation | undefined {
  const store = env.NEUROBURST_STORE;
  if (!store) return undefined;
  return { store, workPrefix: env.NEUROBURST_WORK_PREFIX ?? 'work/', resultsPrefix: env.NEUROBURST_RESULTS_PREFIX ?? 'results/' };
}

const STEP_JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/**
 * A step job — a workflow another job's workflow starts as one of its steps (reho's group glm) —
 * keeps its job.json, participants table and so on under its parent's work folder in the S3
 * work/results store, `<store><work prefix><jobId>/…`, and reads the parent's maps from
 * `<store><results prefix><jobId>/…`. Returns the parent's jobId and those two prefixes (what the
 * step may read besides its parent's upload folder and the dataset prefixes); undefined for any
 * other URI, and for a local store (local runs have no allow-list).
 */
export function stepJobOf(uri: string, where: WorkStoreLocation | undefined = workStoreFromEnv()): { jobId: string; bucket: string; prefixes: string[] } | undefined {
  if (!where || typeof uri !== 'string' || !where.store.startsWith('s3://')) return undefined;
  const root = where.store.endsWith('/') ? where.store : `${where.store}/`;
  const work = `${root}${where.workPrefix}`;
  if (!uri.startsWith(work)) return undefined;
  const jobId = uri.slice(work.length).split('/')[0]!;
  if (!STEP_JOB_ID.test(jobId) || !uri.slice(work.length + jobId.length).startsWith('/')) return undefined;
  return { jobId, bucket: parseUri(root).bucket!, prefixes: [`${work}${jobId}/`, `${root}${where.resultsPrefix}${jobId}/`] };
}

/**
 * The job.json check Validate and the failure recorder apply: a step job's job.json (under its
 * parent's work folder, `stepJobOf`) was written by the parent's worker and is read from there;
 * any other job.json must lie inside the allow-list (`assertAllowedInput`). Returns the URI.
 */
export function assertAllowedJobUri(jobUri: string, allowed: string[] | undefined = allowedInputsFromEnv(), where: WorkStoreLocation | undefined = workStoreFromEnv()): string {
  return stepJobOf(jobUri, where) ? jobUri : assertAllowedInput(jobUri, allowed);
}

/**
 * The deploy-time input allow-list: NEUROBURST_ALLOWED_INPUTS, comma-separated
 * 's3://bucket[/prefix]' entries (the stack sets the input bucket plus the configured
 * dataset prefixes). Undefined when unset (local runs: no allow-list).
 */
export function allowedInputsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const v = env.NEUROBURST_ALLOWED_INPUTS;
  if (v === undefined || v.trim() === '') return undefined;
  return v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** An allow-list entry as bucket and folder prefix ('' or ending in '/'); entries name folders, never partial names. */
function allowedLocation(entry: string): { bucket: string; prefix: string } {
  const parsed = parseUri(entry.startsWith('s3://') ? entry : `s3://${entry}`);
  if (parsed.scheme !== 's3') throw new UnsafeInputKey(`allowed input location is not an s3:// URI: ${entry}`, entry);
  const prefix = parsed.path.replace(/\/+$/, '');
  return { bucket: parsed.bucket!, prefix: prefix === '' ? '' : `${prefix}/` };
}

/**
 * Check that an input URI may be read under the allow-list (default: NEUROBURST_ALLOWED_INPUTS):
 * 's3://' URIs must fall under one of its 's3://bucket/prefix' entries, else `UnsafeInputKey`
 * naming the URI. Under an allow-list (a deployment) local ('file://' or path) URIs are refused
 * too: they would read the worker's own filesystem. Runs without an allow-list pass. Returns the URI.
 */
export function assertAllowedInput(uri: string, allowed: string[] | undefined = allowedInputsFromEnv()): string {
  if (allowed === undefined) return uri;
  const target = parseUri(uri);
  if (target.scheme !== 's3') {
    throw new UnsafeInputKey(`input ${uri} is a local path; this deployment reads inputs only from its s3:// locations (${allowed.join(', ')})`, uri);
  }
  const ok = allowed.map(allowedLocation).some((a) => a.bucket === target.bucket && target.path.startsWith(a.prefix));
  if (!ok) {
    throw new UnsafeInputKey(
      `input ${uri} is outside the locations this deployment may read (${allowed.join(', ')}); ask the operator to add its bucket/prefix to the stack's datasetPrefixes`,
      uri,
    );
  }
  return uri;
}

/**
 * Resolve an input reference from a job spec against the URI of the folder holding
 * job.json, returning an absolute URI ('file:///...' or 's3://bucket/key').
 *  - relative refs join the base; '..', '.' (except a leading './'), '//', backslashes,
 *    control characters and a ':' in the first segment (it reads as a URI scheme) are
 *    `UnsafeInputKey` naming the ref;
 *  - 's3://' refs must name the base's bucket or one of `policy.allowedBuckets`; with an
 *    input allow-list (`policy.allowedInputs`, default NEUROBURST_ALLOWED_INPUTS) every
 *    resolved 's3://' URI must instead fall under one of its entries (`assertAllowedInput`);
 *  - absolute paths and 'file://' refs are allowed only when the base is local, and,
 *    if `policy.allowedRoots` is given, only under one of those roots (compared after
 *    path normalisation; an empty list allows none).
 */
export function resolveRef(ref: string, baseUri: string, policy: RefPolicy = {}): string {
  const step = stepJobOf(baseUri, policy.workStore ?? workStoreFromEnv());
  const listed = policy.allowedInputs ?? allowedInputsFromEnv();
  const allowedInputs = step ? narrowToStepJob(listed, step) : narrowToJobFolder(listed, baseUri);
  const resolved = resolveRefUnchecked(ref, baseUri, policy, allowedInputs);
  assertNotOtherJob(resolved, baseUri, allowedInputs, ref);
  return allowedInputs === undefined ? resolved : assertAllowedInput(resolved, allowedInputs);
}

/** `jobs/<jobId>/` of an uploaded job's folder URI `s3://<bucket>/jobs/<jobId>/…`. */
function uploadFolder(uri: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(jobs\/[^/]+\/)/.exec(uri);
  return m ? { bucket: m[1]!, prefix: m[2]! } : undefined;
}

/**
 * Job isolation: a job uploaded to `s3://B/jobs/<id>/` reads its own folder, the deployment's
 * dataset prefixes and explicitly shared prefixes (allow-list entries with a prefix), not the
 * whole input bucket: an allow-list entry naming all of bucket B is narrowed to
 * `s3://B/jobs/<id>/` for it.
 */
function narrowToJobFolder(allowed: string[] | undefined, baseUri: string): string[] | undefined {
  const own = uploadFolder(baseUri);
  if (!allowed || !own) return allowed;
  return allowed.map((entry) => {
    const loc = allowedLocation(entry);
    return loc.bucket === own.bucket && loc.prefix === '' ? `s3://${own.bucket}/${own.prefix}` : entry;
  });
}

/**
 * A step job's allow-list: its parent's own work and results prefixes, plus the allow-list with
 * every whole-bucket entry narrowed to the parent's upload folder `jobs/<jobId>/` (as for the
 * parent itself) — never another job's folders.
 */
function narrowToStepJob(allowed: string[] | undefined, step: { jobId: string; prefixes: string[] }): string[] | undefined {
  if (!allowed) return allowed;
  const narrowed = allowed.map((entry) => {
    const loc = allowedLocation(entry);
    return loc.prefix === '' ? `s3://${loc.bucket}/jobs/${step.jobId}/` : entry;
  });
  return [...narrowed, ...step.prefixes];
}

/** Without an allow-list (the same-bucket rule), an uploaded job still may not read another job's upload folder. */
function assertNotOtherJob(resolved: string, baseUri: string, allowed: string[] | undefined, ref: string): void {
  const own = uploadFolder(baseUri);
  const target = uploadFolder(resolved);
  if (!own || !target || target.bucket !== own.bucket || target.prefix === own.prefix) return;
  const shared = (allowed ?? []).map(allowedLocation).some((a) => a.prefix !== '' && a.bucket === target.bucket && resolved.slice(`s3://${a.bucket}/`.length).startsWith(a.prefix));
  if (!shared) throw new UnsafeInputKey(`input reference ${ref} reads another job's folder (${target.prefix}); a job reads only its own folder, dataset prefixes and shared prefixes`, ref);
}

function resolveRefUnchecked(ref: string, baseUri: string, policy: RefPolicy, allowedInputs: string[] | undefined): string {
  if (typeof ref !== 'string' || ref === '') throw new UnsafeInputKey('empty input reference', String(ref));
  const base = parseUri(baseUri);

  if (ref.startsWith('s3://')) {
    const target = parseUri(ref);
    if (target.path === '') throw new UnsafeInputKey(`input reference names a bucket, not an object: ${ref}`, ref);
    // with an allow-list, it alone decides (checked by the caller); otherwise the same-bucket rule
    const allowed =
      allowedInputs !== undefined || (base.scheme === 's3' && target.bucket === base.bucket) || (policy.allowedBuckets ?? []).includes(target.bucket!);
    if (!allowed) throw new UnsafeInputKey(`input reference to bucket '${target.bucket}' is not allowed`, ref);
    return formatUri(target);
  }

  if (ref.startsWith('/') || /^file:/i.test(ref)) {
    if (base.scheme !== 'file') throw new UnsafeInputKey(`local input reference from a job stored in S3: ${ref}`, ref);
    const target = parseUri(ref);
    if (policy.allowedRoots !== undefined) {
      const roots = policy.allowedRoots.map((r) => {
        const parsed = parseUri(r);
        if (parsed.scheme !== 'file') throw new UnsafeInputKey(`allowed root is not a local path: ${r}`, r);
        return parsed.path;
      });
      if (!roots.some((root) => isUnder(target.path, root))) {
        throw new UnsafeInputKey(`input reference outside the allowed roots: ${ref}`, ref);
      }
    }
    return formatUri(target);
  }

  if (/^[^/]*:/.test(ref)) {
    // 'http://…', 'c:/…', 'name:…': a colon in the first segment reads as a URI scheme.
    throw new UnsafeInputKey(`unsupported URI scheme in input reference (use file:// or s3://): ${ref}`, ref);
  }

  // Relative: a leading './' is accepted and dropped, anything else must be a safe key.
  let rel = ref;
  while (rel.startsWith('./')) rel = rel.slice(2);
  assertSafeKey(rel, ref);
  if (base.scheme === 's3') {
    const key = base.path === '' ? rel : joinKey(base.path, rel);
    return formatUri({ scheme: 's3', bucket: base.bucket, path: key });
  }
  return formatUri({ scheme: 'file', path: path.join(base.path, ...rel.split('/')) });
}

const storeCache = new Map<string, Store>();

function cachedStore(id: string, make: () => Store): Store {
  let store = storeCache.get(id);
  if (!store) {
    store = make();
    storeCache.set(id, store);
  }
  return store;
}

/**
 * The store and key for reading one object URI: an S3Store on the bucket with the full
 * key, or a LocalStore on the file's directory with its base name as the key (never a
 * store rooted at '/' that job keys could write through). Stores are cached.
 */
export function storeForUri(uri: string): { store: Store; key: string } {
  const parsed = parseUri(uri);
  if (parsed.scheme === 's3') {
    if (parsed.path === '' || parsed.path.endsWith('/')) throw new UnsafeInputKey(`URI names a folder, not an object: ${uri}`, uri);
    const bucket = parsed.bucket!;
    return { store: cachedStore(`s3://${bucket}/`, () => new S3Store({ bucket })), key: parsed.path };
  }
  const dir = path.dirname(parsed.path);
  const key = path.basename(parsed.path);
  if (key === '' || parsed.path === dir) throw new UnsafeInputKey(`URI names a folder, not an object: ${uri}`, uri);
  return { store: cachedStore(`file:${dir}`, () => new LocalStore(dir)), key };
}

/** Re-label a store's MissingInput with the URI the caller asked for. */
async function byUri<T>(uri: string, op: (store: Store, key: string) => Promise<T>): Promise<T> {
  const { store, key } = storeForUri(uri);
  try {
    return await op(store, key);
  } catch (err) {
    if (err instanceof MissingInput) throw new MissingInput(`input not found: ${uri}`, uri);
    throw err;
  }
}

/** Read an object by URI; `MissingInput` (input = the URI) if absent. */
export function readUri(uri: string, range?: ByteRange): Promise<Uint8Array> {
  return byUri(uri, (store, key) => store.get(key, range));
}

export function existsUri(uri: string): Promise<boolean> {
  return byUri(uri, (store, key) => store.exists(key));
}

/** Size of an object by URI; `MissingInput` (input = the URI) if absent. */
export function sizeUri(uri: string): Promise<number> {
  return byUri(uri, (store, key) => store.size(key));
}

/**
 * The work/results store for handlers, from NEUROBURST_STORE: 'file:///abs/dir',
 * an absolute path, or 's3://bucket[/prefix]'.
 */
export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Store {
  const value = env.NEUROBURST_STORE;
  if (!value) {
    throw new Error(
      "NEUROBURST_STORE is not set: it must name the work/results store, e.g. 's3://my-bucket/neuroburst' or 'file:///abs/dir'",
    );
  }
  let parsed: ParsedUri;
  try {
    parsed = parseUri(value);
  } catch (err) {
    throw new Error(`NEUROBURST_STORE=${JSON.stringify(value)} is not a usable store URI: ${(err as Error).message}`);
  }
  if (parsed.scheme === 's3') return new S3Store({ bucket: parsed.bucket!, prefix: parsed.path });
  return new LocalStore(parsed.path);
}
