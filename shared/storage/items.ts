/**
 * Item lists and result manifests of Distributed Map states, in the work/results store.
 *
 * How a pipeline opts in to a Distributed Map (same ASL on AWS and in the local runner):
 *  1. its plan step writes the shard list with `writeItemList(env.store, key, shards)` (key
 *     under the job's work prefix, e.g. `${workDir}/items/<stage>.json`) and returns the
 *     location it gives back;
 *  2. the Map state reads it and batches it:
 *       "ItemReader": { "Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": { "InputType": "JSON" },
 *                       "Parameters": { "Bucket.$": "$.plan.items.bucket", "Key.$": "$.plan.items.key" } },
 *       "ItemBatcher": { "MaxItemsPerBatchPath": "$.plan.batchSize", "BatchInput": { "context.$": "$.context" } },
 *       "ItemProcessor": { "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" }, ... },
 *       "MaxConcurrencyPath": "$.plan.maxConcurrency",
 *     so each worker gets `{ "BatchInput": {...}, "Items": [...] }` (ItemSelector, if any,
 *     shapes each item first; `$$.Map.Item.Index` is the item's index in the list);
 *  3. optionally "ResultWriter": { "Resource": "arn:aws:states:::s3:putObject",
 *     "Parameters": { "Bucket": "${ResultsBucketName}", "Prefix.$": "$.plan.resultsPrefix" } }
 *     with a prefix under the job's work prefix; the Map's result is then
 *     `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }` and the reduce step reads the
 *     child outputs with `readMapRunResults(env.store, details)`. Workers should still
 *     write their partials under keys that are pure functions of (stage, shard), and the
 *     reducer combine them in fixed shard order: result files are not ordered on AWS.
 * The stack grants the workflow s3:GetObject/PutObject under `work/` of the results
 * bucket only, so item lists and result prefixes must live there (they do when written
 * through the task store with the job's work prefix).
 */
import { UnsafeInputKey } from '../errors.ts';
import { assertSafeKey } from './keys.ts';
import { LocalStore } from './local.ts';
import { S3Store } from './s3.ts';
import type { Store } from './store.ts';
import { baseStore } from './work-store.ts';

/**
 * The bucket name that stands for a local (file://) store in ItemReader/ResultWriter
 * parameters; the local runner maps it (and any bucket, for a local store) onto the run's folder.
 */
export const LOCAL_STORE_BUCKET = 'neuroburst-local-store';

/** An S3 object as ItemReader/ResultWriter parameters name it. */
export interface BucketKey {
  bucket: string;
  key: string;
}

/** Where a store key lives as `{ bucket, key }` (S3: the store's bucket and full object key). */
export function bucketKeyOf(outer: Store, key: string): BucketKey {
  const store = baseStore(outer);
  if (store instanceof S3Store) return { bucket: store.bucket, key: store.objectKey(key) };
  if (store instanceof LocalStore) return { bucket: LOCAL_STORE_BUCKET, key: assertSafeKey(key, key) };
  throw new Error(`store ${store.uri} has no bucket/key addressing`);
}

/**
 * The store and store key of a `{ bucket, key }` named in ItemReader/ResultWriter
 * parameters, relative to the run's store: the run's own bucket (and prefix) map onto it;
 * a local run maps every bucket onto its folder; another bucket is read as such (S3).
 */
export function locateBucketKey(runStore: Store, loc: BucketKey): { store: Store; key: string } {
  const base = baseStore(runStore);
  // item lists and map-run exports are Step Functions' objects: plain, never in the verified envelope
  if (base instanceof LocalStore) return { store: base, key: loc.key };
  if (base instanceof S3Store && loc.bucket === base.bucket && loc.key.startsWith(base.prefix)) {
    return { store: base, key: loc.key.slice(base.prefix.length) };
  }
  if (typeof loc.bucket !== 'string' || loc.bucket === '') throw new UnsafeInputKey('ItemReader/ResultWriter without a bucket', String(loc.key));
  return { store: new S3Store({ bucket: loc.bucket }), key: loc.key };
}

/** Write a Distributed Map item list (a JSON array) and return its `{ bucket, key }` for ItemReader Parameters. */
export async function writeItemList(store: Store, key: string, items: readonly unknown[]): Promise<BucketKey> {
  await baseStore(store).put(key, JSON.stringify(items), { contentType: 'application/json' });
  return bucketKeyOf(store, key);
}

/** A child execution as a ResultWriter results file lists it. */
export interface MapRunResultEntry {
  ExecutionArn: string;
  Name: string;
  StateMachineArn: string;
  Status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  StartDate: string;
  StopDate: string;
  /** the child's input as a JSON string */
  Input: string;
  InputDetails: { Included: boolean };
  /** the child's output as a JSON string (SUCCEEDED) */
  Output?: string;
  OutputDetails?: { Included: boolean };
  Error?: string;
  Cause?: string;
  RedriveCount?: number;
  RedriveStatus?: string;
  RedriveStatusReason?: string;
}

/** manifest.json of a ResultWriter export. */
export interface MapRunManifest {
  DestinationBucket: string;
  MapRunArn: string;
  ResultFiles: Record<'FAILED' | 'PENDING' | 'SUCCEEDED', { Key: string; Size: number }[]>;
}

/** What a Distributed Map with a ResultWriter returns. */
export interface ResultWriterOutput {
  MapRunArn?: string;
  ResultWriterDetails: { Bucket: string; Key: string };
}

/**
 * Read the child executions of a ResultWriter export (from the Map's `ResultWriterDetails`
 * or the whole Map output): manifest plus every results file, SUCCEEDED first. Only the
 * default Transformation (NONE: full entries, JSON arrays) is understood.
 */
export async function readMapRunResults(
  store: Store,
  details: ResultWriterOutput | ResultWriterOutput['ResultWriterDetails'],
): Promise<{ manifest: MapRunManifest; succeeded: MapRunResultEntry[]; failed: MapRunResultEntry[] }> {
  const d = 'ResultWriterDetails' in details ? details.ResultWriterDetails : details;
  const at = locateBucketKey(store, { bucket: d.Bucket, key: d.Key });
  const manifest = JSON.parse(await at.store.getText(at.key)) as MapRunManifest;
  const read = async (files: { Key: string }[]) => {
    const out: MapRunResultEntry[] = [];
    for (const f of files) {
      const loc = locateBucketKey(store, { bucket: manifest.DestinationBucket, key: f.Key });
      out.push(...(JSON.parse(await loc.store.getText(loc.key)) as MapRunResultEntry[]));
    }
    return out;
  };
  return { manifest, succeeded: await read(manifest.ResultFiles.SUCCEEDED ?? []), failed: await read(manifest.ResultFiles.FAILED ?? []) };
}
