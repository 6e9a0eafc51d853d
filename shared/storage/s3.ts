/**
 * The S3 engine: objects live under `s3://bucket/prefix/`. Bodies above 8 MiB go up as
 * multipart uploads (S3 makes a completed upload visible atomically either way).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MissingInput, UnsafeInputKey } from '../errors.ts';
import { s3Client } from './aws-clients.ts';
import { assertSafeKey, assertSafePrefix } from './keys.ts';
import { checkRange, compareKeys, decodeText, toBytes, type ByteRange, type ObjectInfo, type PutOptions, type Store } from './store.ts';

/** Bodies larger than this are uploaded in parts of this size. */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
const UPLOAD_QUEUE_SIZE = 4;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function assertBucketName(bucket: string, input: string): string {
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new UnsafeInputKey(`invalid S3 bucket name ${JSON.stringify(bucket)}`, input);
  }
  return bucket;
}

interface AwsError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function errorName(err: unknown): string {
  const e = err as AwsError | undefined;
  return e?.name ?? e?.Code ?? '';
}

function httpStatus(err: unknown): number | undefined {
  return (err as AwsError | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || httpStatus(err) === 404;
}

function isInvalidRange(err: unknown): boolean {
  return errorName(err) === 'InvalidRange' || httpStatus(err) === 416;
}

/** The first byte offset a response's Content-Range covers ('bytes 10-19/100' -> 10). */
function contentRangeStart(contentRange: string | undefined): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix the store is rooted at; '' or 'a/b' or 'a/b/' (a trailing '/' is implied). */
  prefix?: string;
  /** Defaults to `s3Client()`, looked up on every call so the environment is honoured. */
  client?: S3Client;
}

export class S3Store implements Store {
  readonly bucket: string;
  /** '' or a prefix ending in '/'. */
  readonly prefix: string;
  readonly uri: string;
  private readonly explicitClient: S3Client | undefined;

  constructor(opts: S3StoreOptions) {
    this.bucket = assertBucketName(opts.bucket, `s3://${opts.bucket}`);
    const raw = (opts.prefix ?? '').replace(/\/+$/, '');
    this.prefix = raw === '' ? '' : `${assertSafeKey(raw, opts.prefix ?? '')}/`;
    this.uri = `s3://${this.bucket}/${this.prefix}`;
    this.explicitClient = opts.client;
  }

  get client(): S3Client {
    return this.explicitClient ?? s3Client();
  }

  /** The full object key of a store key (validated). */
  objectKey(key: string): string {
    return this.prefix + assertSafeKey(key, key);
  }

  private missing(key: string, err?: unknown): InstanceType<typeof MissingInput> {
    const why = errorName(err) === 'NoSuchBucket' ? ' (no such bucket)' : '';
    return new MissingInput(`no object '${key}' in ${this.uri}${why}`, key);
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const Key = this.objectKey(key);
    if (range) {
      checkRange(range);
      // An empty range still reports a missing object.
      if (range.end === range.start) {
        await this.size(key);
        return new Uint8Array(0);
      }
    }
    let res;
    try {
      res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          // Always an explicit first-last range: never a suffix range.
          ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) throw this.missing(key, err);
      // The range starts at or past the end of the object: clipped to nothing.
      if (range && isInvalidRange(err)) return new Uint8Array(0);
      throw err;
    }
    const body = res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    if (!range) return body;
    // Trust the bytes, not the server's reading of the Range header: cut exactly the
    // requested window out of whatever span came back (the whole object, if ignored).
    const got = contentRangeStart(res.ContentRange) ?? 0;
    const from = range.start - got;
    const to = range.end - got;
    if (from === 0 && body.length <= to) return body;
    return body.subarray(Math.max(0, from), Math.max(0, Math.min(body.length, to)));
  }

  async getText(key: string): Promise<string> {
    return decodeText(await this.get(key));
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions = {}): Promise<void> {
    const Key = this.objectKey(key);
    const bytes = toBytes(body);
    const ContentType =
      opts.contentType ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
    if (bytes.byteLength <= MULTIPART_THRESHOLD) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: bytes, ContentType }));
      return;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: bytes, ContentType },
      partSize: PART_SIZE,
      queueSize: UPLOAD_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  private async headObject(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const etag = res.ETag?.replace(/^"|"$/g, '');
      return {
        size: res.ContentLength ?? 0,
        modifiedMs: res.LastModified?.getTime() ?? 0,
        ...(etag ? { etag } : {}),
        ...(res.VersionId && res.VersionId !== 'null' ? { versionId: res.VersionId } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.headObject(key)) !== undefined;
  }

  async size(key: string): Promise<number> {
    return (await this.head(key)).size;
  }

  async head(key: string): Promise<ObjectInfo> {
    const info = await this.headObject(key);
    if (info === undefined) throw this.missing(key);
    return info;
  }

  /**
   * All keys under `prefix`, following ListObjectsV2 continuation tokens with the
   * default page size. S3 already returns keys in UTF-8 byte order; the listing is
   * still collected and sorted so S3-compatible servers that walk their disk in another
   * order give the same answer as S3 and LocalStore.
   */
  async *list(prefix: string): AsyncIterable<string> {
    assertSafePrefix(prefix, prefix);
    const Prefix = this.prefix + prefix;
    const keys = new Set<string>();
    let ContinuationToken: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }),
      );
      for (const obj of res.Contents ?? []) {
        const key = obj.Key;
        // Zero-byte "folder" markers ('a/b/') are not objects a key can name.
        if (key === undefined || !key.startsWith(Prefix) || key.endsWith('/')) continue;
        keys.add(key.slice(this.prefix.length));
      }
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (ContinuationToken);
    yield* [...keys].sort(compareKeys);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
