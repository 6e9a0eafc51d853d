export type { ByteRange, ObjectInfo, PutOptions, Store } from './store.ts';
export { LocalStore } from './local.ts';
export { S3Store, MULTIPART_THRESHOLD, PART_SIZE, type S3StoreOptions } from './s3.ts';
export { assertSafeKey, assertSafePrefix, joinKey } from './keys.ts';
export { s3Client, createS3Client, resetS3Clients, s3ClientOptionsFromEnv, type S3ClientOptions } from './aws-clients.ts';
export {
  parseUri,
  formatUri,
  resolveRef,
  storeForUri,
  readUri,
  existsUri,
  sizeUri,
  storeFromEnv,
  allowedInputsFromEnv,
  assertAllowedInput,
  assertAllowedJobUri,
  stepJobOf,
  workStoreFromEnv,
  type WorkStoreLocation,
  type ParsedUri,
  type RefPolicy,
} from './uri.ts';
export {
  LOCAL_STORE_BUCKET,
  bucketKeyOf,
  locateBucketKey,
  writeItemList,
  readMapRunResults,
  type BucketKey,
  type MapRunManifest,
  type MapRunResultEntry,
  type ResultWriterOutput,
} from './items.ts';
export {
  ENVELOPE_HEADER_BYTES,
  sealEnvelope,
  openEnvelope,
  putVerified,
  getVerified,
  requireVerified,
  putVerifiedJson,
  getVerifiedJson,
  requireVerifiedJson,
  verifiedStatus,
  type EnvelopeKind,
  type VerifiedStatus,
} from './verified.ts';
export { fingerprint, digestBytes, digestParts, DIGEST_CHUNK_BYTES, type InputFingerprint, type DigestCache, type FingerprintOptions } from './digest.ts';
