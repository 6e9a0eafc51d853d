/**
 * Distributed Map states in the local runner (shared/runner/distributed.ts): a test-only
 * workflow (test/fixtures/distributed.asl.json, the same JSON CDK would deploy) whose plan
 * step writes its shard list with writeItemList, a Map reading it through ItemReader,
 * batching it with ItemBatcher (BatchInput, ItemSelector per item), running a worker per
 * batch under MaxConcurrencyPath and writing the children through ResultWriter; a reduce
 * step reads them back with readMapRunResults. Checked: batch shapes and order, the
 * ResultWriter files and the Map's result as Step Functions documents them, tolerated and
 * caught worker failures, and the same run against an S3 API server on 127.0.0.1.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { runLocal } from '../shared/runner/local.ts';
import { applyTemplate, readPath, rewriteDistributedMaps } from '../shared/runner/distributed.ts';
import type { AslMachine } from '../shared/runner/asl.ts';
import { taskEnv } from '../shared/runtime/task.ts';
import { LOCAL_STORE_BUCKET, S3Store, readMapRunResults, resetS3Clients, writeItemList } from '../shared/storage/index.ts';
import type { MapRunManifest, MapRunResultEntry, ResultWriterOutput } from '../shared/storage/index.ts';
import { startS3Server } from './helpers/s3server.ts';
import { tmpDir } from './helpers/tmp.ts';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };
const FIXTURE = join(import.meta.dirname, 'fixtures', 'distributed.asl.json');
const definition = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as AslMachine;
const root = tmpDir('neuroburst-dmap-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Spec {
  jobId: string;
  n: number;
  batchSize: number;
  maxConcurrency: number;
  toleratedFailures?: number;
  failAt?: number[];
  /** per-item worker delay in ms, by shard index (to shuffle completion order) */
  delayOf?: 'reverse';
  /**
   * Concurrency barrier: each child waits until `gate` children run at once (or all
   * `children` have started), so the concurrency the runner allows is observed without
   * depending on timer races.
   */
  gate?: number;
  children?: number;
}
interface Item {
  shard: number;
  fail: boolean;
}
interface Selected {
  index: number;
  shard: Item;
  context: string;
}
type WorkInput = { BatchInput?: { jobId: string; stage: string }; Items: Selected[] } | Item;

/** The test's three task handlers (in this thread); RecordFailure is the real one (worker pool). */
function harness() {
  const calls: WorkInput[] = [];
  let running = 0;
  let peak = 0;
  let spec: Spec | undefined;
  const waiting: (() => void)[] = [];
  const barrier = async () => {
    if (!spec?.gate) return;
    const open = () => running >= spec!.gate! || calls.length >= (spec!.children ?? Infinity);
    if (open()) {
      for (const w of waiting.splice(0)) w();
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const localHandlers = {
    DmPlan: async (input: unknown) => {
      const { jobUri } = input as { jobUri: string };
      spec = JSON.parse(readFileSync(new URL(jobUri), 'utf8')) as Spec;
      const { store, layout } = taskEnv();
      const items: Item[] = Array.from({ length: spec.n }, (_, i) => ({ shard: i, fail: (spec!.failAt ?? []).includes(i) }));
      return {
        jobId: spec.jobId,
        items: await writeItemList(store, layout.work(spec.jobId, 'items', 'shards.json'), items),
        batchSize: spec.batchSize,
        maxConcurrency: spec.maxConcurrency,
        toleratedFailures: spec.toleratedFailures ?? 0,
        context: layout.work(spec.jobId, 'context.json'),
        resultsPrefix: layout.work(spec.jobId, 'map-results'),
      };
    },
    DmWork: async (input: unknown) => {
      const w = input as WorkInput;
      calls.push(w);
      const shards = 'Items' in w ? w.Items.map((s) => s.shard) : [w];
      running += 1;
      peak = Math.max(peak, running);
      await barrier();
      await new Promise((r) => setTimeout(r, spec?.delayOf === 'reverse' ? 5 * (spec.n - shards[0]!.shard) : 15));
      running -= 1;
      const bad = shards.find((s) => s.fail);
      if (bad) {
        const e = new Error(JSON.stringify({ error: 'WorkerCrashed', message: `shard ${bad.shard} crashed`, input: `shard ${bad.shard}` }));
        e.name = 'WorkerCrashed';
        throw e;
      }
      return { first: shards[0]!.shard, sum: shards.reduce((a, s) => a + s.shard, 0), n: shards.length };
    },
    DmReduce: async (input: unknown) => {
      const { shards } = input as { shards: ResultWriterOutput | { sum: number }[] };
      if (Array.isArray(shards)) return { total: shards.reduce((a, o) => a + o.sum, 0), outputs: shards };
      const r = await readMapRunResults(taskEnv().store, shards);
      const outputs = r.succeeded.map((e) => JSON.parse(e.Output!) as { sum: number });
      return { total: outputs.reduce((a, o) => a + o.sum, 0), batches: r.succeeded.length, failed: r.failed.length };
    },
  };
  return { localHandlers, calls, peak: () => peak };
}

function job(spec: Spec): string {
  const path = join(root, `${spec.jobId}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return pathToFileURL(path).href;
}

describe('the test workflow', () => {
  it('passes asl-validator as written and after substitution', () => {
    const def = definition();
    const raw = aslValidator(def);
    expect(raw.isValid, raw.errorsText('\n')).toBe(true);
    const sub = JSON.parse(JSON.stringify(def).replace(/\$\{(\w+)FunctionArn\}/g, 'arn:aws:lambda:us-east-1:000000000000:function:$1').replace('${ResultsBucketName}', 'bucket'));
    const r = aslValidator(sub);
    expect(r.isValid, r.errorsText('\n')).toBe(true);
  });

  it('is rewritten for the emulator: the Distributed Map becomes a Task keeping ResultPath, Catch and Next', () => {
    const handlers: Record<string, (i: unknown) => Promise<unknown>> = {};
    const out = rewriteDistributedMaps(definition(), { store: () => taskEnv().store, StateMachine: class {} as never, handlers, machineName: 'x' });
    const s = out.States.Shards!;
    expect(s.Type).toBe('Task');
    expect(s).toMatchObject({ ResultPath: '$.shards', Next: 'Reduce' });
    expect((s.Catch as unknown[]).length).toBe(1);
    expect(s.ItemReader).toBeUndefined();
    expect(Object.keys(handlers)).toEqual(['Shards']);
    expect(definition().States.Shards!.Type).toBe('Map'); // the file itself is untouched
  });

  it('evaluates reference paths and payload templates as Step Functions does', () => {
    const input = { a: { b: [10, { c: 'x' }] }, 'odd key': 1 };
    expect(readPath('$', input)).toBe(input);
    expect(readPath('$.a.b[1].c', input)).toBe('x');
    expect(readPath("$['odd key']", input)).toBe(1);
    expect(readPath('$$.Map.Item.Index', input, { Map: { Item: { Index: 3 } } })).toBe(3);
    expect(() => readPath('$.missing', input)).toThrow(expect.objectContaining({ name: 'States.Runtime' }));
    expect(() => readPath('$.a.b[*]', input)).toThrow(/plain reference paths/);
    expect(applyTemplate({ 'v.$': '$$.Map.Item.Value', fixed: { 'n.$': '$.a.b[0]' }, list: [1, { 'c.$': '$.a.b[1].c' }] }, input, { Map: { Item: { Value: 'item' } } })).toEqual({
      v: 'item',
      fixed: { n: 10 },
      list: [1, { c: 'x' }],
    });
    expect(() => applyTemplate({ 'x.$': "States.Format('{}', $.a)" }, input, {})).toThrow(/intrinsic functions/);
  });
});

describe('a Distributed Map in the local runner', () => {
  it('reads the item list, batches it with BatchInput and ItemSelector, honours MaxConcurrency and writes the results as AWS does', async () => {
    const h = harness();
    const out = join(root, 'out-a');
    const r = await runLocal({ jobUri: job({ jobId: 'dm-a', n: 10, batchSize: 3, maxConcurrency: 2, gate: 2, children: 4 }), pipeline: 'distributed', definition: definition(), localHandlers: h.localHandlers, outDir: out, threads: 1 });
    expect(r.status, JSON.stringify(r)).toBe('succeeded');
    const output = (r as unknown as { output: { plan: { context: string }; shards: ResultWriterOutput; reduced: unknown } }).output;

    // four children: Items of 3, 3, 3, 1 in list order, each with the BatchInput and ItemSelector-shaped items
    expect(h.calls.length).toBe(4);
    const batches = (h.calls as { BatchInput: unknown; Items: Selected[] }[]).sort((x, y) => x.Items[0]!.index - y.Items[0]!.index);
    expect(batches.map((b) => b.Items.length)).toEqual([3, 3, 3, 1]);
    for (const b of batches) {
      expect(Object.keys(b).sort()).toEqual(['BatchInput', 'Items']);
      expect(b.BatchInput).toEqual({ jobId: 'dm-a', stage: 'shards' });
    }
    expect(batches.flatMap((b) => b.Items)).toEqual(Array.from({ length: 10 }, (_, i) => ({ index: i, shard: { shard: i, fail: false }, context: '.work/dm-a/context.json' })));
    expect(h.peak()).toBe(2);

    // the Map's result: MapRunArn + ResultWriterDetails; the manifest and the SUCCEEDED file in item order
    const details = output.shards;
    expect(details.MapRunArn).toMatch(/^arn:aws:states:us-east-1:000000000000:mapRun:local-distributed\/Shards:[0-9a-f-]{36}$/);
    expect(details.ResultWriterDetails.Bucket).toBe(LOCAL_STORE_BUCKET);
    expect(details.ResultWriterDetails.Key).toMatch(/^\.work\/dm-a\/map-results\/[0-9a-f-]{36}\/manifest\.json$/);
    const manifest = JSON.parse(readFileSync(join(out, details.ResultWriterDetails.Key), 'utf8')) as MapRunManifest;
    const base = details.ResultWriterDetails.Key.replace(/manifest\.json$/, '');
    expect(manifest).toMatchObject({ DestinationBucket: LOCAL_STORE_BUCKET, MapRunArn: details.MapRunArn, ResultFiles: { FAILED: [], PENDING: [] } });
    expect(manifest.ResultFiles.SUCCEEDED.map((f) => f.Key)).toEqual([`${base}SUCCEEDED_0.json`]);
    const file = readFileSync(join(out, `${base}SUCCEEDED_0.json`), 'utf8');
    expect(manifest.ResultFiles.SUCCEEDED[0]!.Size).toBe(Buffer.byteLength(file));
    const entries = JSON.parse(file) as MapRunResultEntry[];
    expect(entries.map((e) => e.Status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(entries.map((e) => (JSON.parse(e.Input) as { Items: Selected[] }).Items[0]!.index)).toEqual([0, 3, 6, 9]);
    expect(entries.map((e) => JSON.parse(e.Output!))).toEqual([
      { first: 0, sum: 3, n: 3 },
      { first: 3, sum: 12, n: 3 },
      { first: 6, sum: 21, n: 3 },
      { first: 9, sum: 9, n: 1 },
    ]);
    for (const e of entries) {
      expect(e.ExecutionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:local-distributed\/Shards:/);
      expect(e).toMatchObject({ InputDetails: { Included: true }, OutputDetails: { Included: true }, StateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:local-distributed/Shards' });
    }
    // the item list came from storage, where writeItemList put it
    expect(JSON.parse(readFileSync(join(out, '.work', 'dm-a', 'items', 'shards.json'), 'utf8'))).toHaveLength(10);
    // and the reduce step read the results back through the storage layer
    expect(output.reduced).toEqual({ total: 45, batches: 4, failed: 0 });
  });

  it('without ResultWriter returns the child outputs in item order, whatever order they finish in', async () => {
    const h = harness();
    const def = definition();
    const map = def.States.Shards! as Record<string, unknown>;
    delete map.ResultWriter;
    delete map.ItemBatcher;
    delete map.ItemSelector;
    const r = await runLocal({ jobUri: job({ jobId: 'dm-b', n: 6, batchSize: 1, maxConcurrency: 0, delayOf: 'reverse', gate: 6, children: 6 }), pipeline: 'distributed', definition: def, localHandlers: h.localHandlers, outDir: join(root, 'out-b'), threads: 1 });
    expect(r.status, JSON.stringify(r)).toBe('succeeded');
    // unbatched, unselected: each child gets the raw item
    expect((h.calls as Item[]).map((c) => c.shard).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect((h.calls as Item[])[0]!.shard).toBe(0);
    expect(h.peak()).toBe(6); // MaxConcurrency 0 = no limit
    const output = (r as unknown as { output: { reduced: { outputs: { first: number }[]; total: number } } }).output.reduced;
    expect(output.outputs.map((o) => o.first)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(output.total).toBe(15);
  });

  it('catches a worker failure: the Map fails with States.ExceedToleratedFailureThreshold, RecordFailure writes error.json', async () => {
    const h = harness();
    const out = join(root, 'out-c');
    const r = await runLocal({ jobUri: job({ jobId: 'dm-c', n: 10, batchSize: 3, maxConcurrency: 1, failAt: [4] }), pipeline: 'distributed', definition: definition(), localHandlers: h.localHandlers, outDir: out, threads: 1 });
    expect(r).toMatchObject({ status: 'failed', error: 'States.ExceedToleratedFailureThreshold' });
    const err = JSON.parse(readFileSync(join(out, 'dm-c', 'error.json'), 'utf8')) as { error: string; message: string };
    expect(err.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(err.message).toMatch(/3 of 10 items failed.*WorkerCrashed/);
    // with one lane, no child started after the threshold was crossed
    expect(h.calls.length).toBe(2);
  });

  it('tolerates failures up to ToleratedFailureCount and exports them in FAILED_0.json', async () => {
    const h = harness();
    const out = join(root, 'out-d');
    const r = await runLocal({ jobUri: job({ jobId: 'dm-d', n: 10, batchSize: 3, maxConcurrency: 2, failAt: [4], toleratedFailures: 3 }), pipeline: 'distributed', definition: definition(), localHandlers: h.localHandlers, outDir: out, threads: 1 });
    expect(r.status, JSON.stringify(r)).toBe('succeeded');
    const output = (r as unknown as { output: { shards: ResultWriterOutput; reduced: unknown } }).output;
    expect(output.reduced).toEqual({ total: 45 - 12, batches: 3, failed: 1 });
    const manifest = JSON.parse(readFileSync(join(out, output.shards.ResultWriterDetails.Key), 'utf8')) as MapRunManifest;
    expect(manifest.ResultFiles.FAILED.length).toBe(1);
    const failed = JSON.parse(readFileSync(join(out, manifest.ResultFiles.FAILED[0]!.Key), 'utf8')) as MapRunResultEntry[];
    expect(failed.length).toBe(1);
    expect(failed[0]).toMatchObject({ Status: 'FAILED', Error: 'WorkerCrashed' });
    expect(failed[0]!.Output).toBeUndefined();
    expect((JSON.parse(failed[0]!.Input) as { Items: Selected[] }).Items.map((i) => i.index)).toEqual([3, 4, 5]);
  });

  it('applies ToleratedFailurePercentage to failed items (a failed batch counts all its items)', async () => {
    const withPercent = (pct: number) => {
      const def = definition();
      const map = def.States.Shards! as Record<string, unknown>;
      delete map.ToleratedFailureCountPath;
      map.ToleratedFailurePercentage = pct;
      return def;
    };
    // shard 4 fails: its batch [3, 4, 5] is 3 of 10 items = 30 %
    const ok = await runLocal({ jobUri: job({ jobId: 'dm-p30', n: 10, batchSize: 3, maxConcurrency: 1, failAt: [4] }), pipeline: 'distributed', definition: withPercent(30), localHandlers: harness().localHandlers, outDir: join(root, 'out-p30'), threads: 1 });
    expect(ok.status, JSON.stringify(ok)).toBe('succeeded');
    const over = await runLocal({ jobUri: job({ jobId: 'dm-p29', n: 10, batchSize: 3, maxConcurrency: 1, failAt: [4] }), pipeline: 'distributed', definition: withPercent(29), localHandlers: harness().localHandlers, outDir: join(root, 'out-p29'), threads: 1 });
    expect(over).toMatchObject({ status: 'failed', error: 'States.ExceedToleratedFailureThreshold' });
  });

  it('runs the same definition against S3 (s3rver): item list and results in the run\'s bucket', async () => {
    const s3 = await startS3Server({ buckets: ['nb-dmap'] });
    const restore = s3.useEnv();
    resetS3Clients();
    try {
      const h = harness();
      const r = await runLocal({
        jobUri: job({ jobId: 'dm-e', n: 5, batchSize: 2, maxConcurrency: 2 }),
        pipeline: 'distributed',
        definition: definition(),
        localHandlers: h.localHandlers,
        store: 's3://nb-dmap',
        workPrefix: 'work/',
        resultsPrefix: 'results/',
        threads: 1,
      });
      expect(r.status, JSON.stringify(r)).toBe('succeeded');
      const output = (r as unknown as { output: { plan: { items: { bucket: string; key: string } }; shards: ResultWriterOutput; reduced: { total: number } } }).output;
      expect(output.plan.items).toEqual({ bucket: 'nb-dmap', key: 'work/dm-e/items/shards.json' });
      expect(output.shards.ResultWriterDetails.Bucket).toBe('nb-dmap');
      expect(output.shards.ResultWriterDetails.Key).toMatch(/^work\/dm-e\/map-results\/[0-9a-f-]{36}\/manifest\.json$/);
      const bucket = new S3Store({ bucket: 'nb-dmap' });
      const res = await readMapRunResults(bucket, output.shards);
      expect(res.succeeded.map((e) => JSON.parse(e.Output!) as { first: number }).map((o) => o.first)).toEqual([0, 2, 4]);
      expect(output.reduced.total).toBe(10);
    } finally {
      resetS3Clients();
      await s3.stop();
      restore();
    }
  });
});
