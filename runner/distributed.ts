/**
 * Distributed Map states, executed locally. aws-local-stepfunctions runs inline Maps but
 * not ItemReader/ItemBatcher/ResultWriter, so before a definition is handed to it every
 * Map whose ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED is replaced by a Task (same
 * name, InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch, Next/End) bound to
 * a local handler that does what Step Functions does with the Map's effective input:
 *
 *  1. items: ItemReader (`arn:aws:states:::s3:getObject`, ReaderConfig.InputType JSON or
 *     JSONL, MaxItems(Path); Parameters Bucket/Key, static or `.$` paths) read through the
 *     project's storage layer — the run's own bucket (or, for a local run, any bucket) maps
 *     onto the run's store (`locateBucketKey`); without ItemReader, ItemsPath of the input;
 *  2. ItemSelector (or legacy Parameters) applied to each item, with `$$.Map.Item.Index`
 *     and `$$.Map.Item.Value` in the context object;
 *  3. ItemBatcher: MaxItemsPerBatch(Path) and/or MaxInputBytesPerBatch(Path) group the
 *     selected items, in order, into child inputs `{ "BatchInput": {...}, "Items": [...] }`
 *     (BatchInput evaluated against the Map's input; the key only when BatchInput is set);
 *  4. one child execution of the ItemProcessor per item or batch (aws-local-stepfunctions,
 *     the same task handlers), at most MaxConcurrency(Path) at a time (0/unset: all);
 *  5. failures: a child that fails counts all its items as failed; over
 *     ToleratedFailureCount(Path) / ToleratedFailurePercentage(Path) (unset: none tolerated)
 *     no further children start and the state fails with
 *     `States.ExceedToleratedFailureThreshold` (Retry/Catch of the Map apply);
 *  6. results: without ResultWriter the Map's result is the array of child outputs in item
 *     order; with ResultWriter Resource/Parameters (Bucket, Prefix) the children are written
 *     as Step Functions exports them — `<Prefix>/<map run id>/SUCCEEDED_0.json` (and
 *     FAILED_0.json), arrays of `{ExecutionArn, Name, Status, Input, Output, ...}` in item
 *     order, and `manifest.json` `{DestinationBucket, MapRunArn, ResultFiles}` — and the
 *     result is `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`. WriterConfig
 *     Transformation NONE/COMPACT/FLATTEN with OutputType JSON is honoured.
 * Paths are the JSONPath subset the project's workflows use (`$`, `$.a.b`, `$.a[0]`,
 * `$['a']`, `$$.…`); intrinsic functions in these fields are refused with a clear error.
 */
import { randomUUID } from 'node:crypto';
import type { AslMachine, AslState } from './asl.ts';
import { locateBucketKey } from '../shared/storage/items.ts';
import type { MapRunManifest, MapRunResultEntry } from '../shared/storage/items.ts';
import type { Store } from '../shared/storage/index.ts';

type Json = unknown;
export type Handler = (input: unknown) => Promise<unknown>;

interface StateMachineLike {
  run(input: unknown, options?: Record<string, unknown>): { result: Promise<unknown> };
}
export type StateMachineCtor = new (definition: never, options?: Record<string, unknown>) => StateMachineLike;

export interface DistributedMapEnv {
  /** the run's work/results store (ItemReader/ResultWriter buckets map onto it) */
  store: () => Store;
  /** aws-local-stepfunctions' StateMachine */
  StateMachine: StateMachineCtor;
  /** every Task handler by state name; shared with the children (filled in by the caller) */
  handlers: Record<string, Handler>;
  /** name used in the local MapRun/execution ARNs */
  machineName: string;
  /**
   * the caller validated the whole definition, every Map's ItemProcessor included (runner/local.ts):
   * children are built without validating again (asl-validator costs 0.1–0.3 s a call, on the
   * runner's thread, before a Map's first child can start)
   */
  validated?: boolean;
  /** a Map starts `workers` child executions covering `items` items; each child's end ticks with its item count */
  progress?: { start(state: string, workers: number, items?: number): void; tick(state: string, items?: number, ok?: boolean): void };
}

const REGION_ACCOUNT = 'us-east-1:000000000000';
const LOCAL_MAP_RESOURCE = `arn:aws:lambda:${REGION_ACCOUNT}:function:neuroburst-local-distributed-map`;

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** A Map state in DISTRIBUTED mode? */
export function isDistributedMap(s: AslState): boolean {
  const p = (s.ItemProcessor as (AslMachine & { ProcessorConfig?: { Mode?: string } }) | undefined)?.ProcessorConfig;
  return s.Type === 'Map' && p?.Mode === 'DISTRIBUTED';
}

// ---------------------------------------------------------------- paths and templates

/** Evaluate a reference path (`$`, `$.a.b`, `$.a[0]`, `$['a b']`; `$$…` against `context`). */
export function readPath(path: string, input: Json, context: Json = {}): Json {
  if (typeof path !== 'string' || !path.startsWith('$')) throw named('States.Runtime', `not a path: ${JSON.stringify(path)}`);
  let doc: Json = path.startsWith('$$') ? context : input;
  let rest = path.startsWith('$$') ? path.slice(2) : path.slice(1);
  while (rest !== '') {
    let m: RegExpExecArray | null;
    let key: string | number;
    if ((m = /^\.([^.[\]*?@:()]+)/.exec(rest))) key = m[1]!;
    else if ((m = /^\[(\d+)\]/.exec(rest))) key = Number(m[1]);
    else if ((m = /^\['([^']*)'\]/.exec(rest)) || (m = /^\["([^"]*)"\]/.exec(rest))) key = m[1]!;
    else throw named('States.Runtime', `the local runner supports plain reference paths only, not ${JSON.stringify(path)}`);
    rest = rest.slice(m[0].length);
    if (doc === null || typeof doc !== 'object' || !(key in (doc as object))) {
      throw named('States.Runtime', `the JSONPath '${path}' could not be found in the input`);
    }
    doc = (doc as Record<string | number, Json>)[key];
  }
  return doc;
}

/** Apply a payload template (Parameters/ItemSelector/BatchInput semantics: keys ending in `.$` take a path's value). */
export function applyTemplate(template: Json, input: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((t) => applyTemplate(t, input, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(template as Record<string, Json>)) {
    if (k.endsWith('.$')) {
      if (typeof v !== 'string') throw named('States.Runtime', `the value of '${k}' must be a path`);
      if (!v.startsWith('$')) throw named('States.Runtime', `intrinsic functions ('${v}') are not supported by the local Distributed Map runner`);
      out[k.slice(0, -2)] = readPath(v, input, context);
    } else {
      out[k] = applyTemplate(v, input, context);
    }
  }
  return out;
}

/** A number field given directly or through its `…Path` twin. */
function numberField(state: Record<string, unknown>, field: string, input: Json): number | undefined {
  const direct = state[field];
  const path = state[`${field}Path`];
  const v = direct !== undefined ? direct : typeof path === 'string' ? readPath(path, input) : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw named('States.Runtime', `${field} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

// ---------------------------------------------------------------- the Map run

interface Child {
  input: Json;
  items: number;
  name: string;
  start?: string;
  stop?: string;
  ok?: boolean;
  output?: Json;
  error?: string;
  cause?: string;
}

async function readItems(state: Record<string, unknown>, input: Json, env: DistributedMapEnv): Promise<Json[]> {
  const reader = state.ItemReader as { Resource?: string; ReaderConfig?: Record<string, unknown>; Parameters?: Json } | undefined;
  if (!reader) {
    const items = readPath(String(state.ItemsPath ?? '$'), input);
    if (!Array.isArray(items)) throw named('States.Runtime', `ItemsPath ${String(state.ItemsPath ?? '$')} does not select an array`);
    return items;
  }
  if (reader.Resource !== 'arn:aws:states:::s3:getObject') {
    throw named('States.ItemReaderFailed', `ItemReader ${String(reader.Resource)} is not supported locally (arn:aws:states:::s3:getObject with InputType JSON or JSONL is)`);
  }
  const config = reader.ReaderConfig ?? {};
  const type = String(config.InputType ?? '');
  const p = applyTemplate(reader.Parameters ?? {}, input, {}) as { Bucket?: unknown; Key?: unknown };
  if (typeof p.Bucket !== 'string' || typeof p.Key !== 'string') throw named('States.ItemReaderFailed', 'ItemReader Parameters need Bucket and Key');
  const at = locateBucketKey(env.store(), { bucket: p.Bucket, key: p.Key });
  let text: string;
  try {
    text = await at.store.getText(at.key);
  } catch (e) {
    throw named('States.ItemReaderFailed', `cannot read s3://${p.Bucket}/${p.Key}: ${(e as Error).message}`);
  }
  let items: Json[];
  try {
    if (type === 'JSON') items = JSON.parse(text) as Json[];
    else if (type === 'JSONL') items = text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Json);
    else throw named('States.ItemReaderFailed', `ReaderConfig.InputType ${type || '(none)'} is not supported locally (JSON, JSONL are)`);
  } catch (e) {
    if ((e as Error).name === 'States.ItemReaderFailed') throw e;
    throw named('States.ItemReaderFailed', `s3://${p.Bucket}/${p.Key} is not valid ${type}: ${(e as Error).message}`);
  }
  if (!Array.isArray(items)) throw named('States.ItemReaderFailed', `s3://${p.Bucket}/${p.Key} does not hold a JSON array`);
  const max = numberField(config, 'MaxItems', input);
  return max !== undefined && max > 0 ? items.slice(0, max) : items;
}

function batch(state: Record<string, unknown>, selected: Json[], input: Json, baseContext: Record<string, unknown>): { input: Json; items: number }[] {
  const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
  if (!batcher) return selected.map((item) => ({ input: item, items: 1 }));
  const maxItems = numberField(batcher, 'MaxItemsPerBatch', input);
  const maxBytes = numberField(batcher, 'MaxInputBytesPerBatch', input);
  if (!maxItems && !maxBytes) throw named('States.Runtime', 'ItemBatcher needs MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path)');
  const batchInput = batcher.BatchInput === undefined ? undefined : applyTemplate(batcher.BatchInput, input, baseContext);
  const wrap = (items: Json[]) => (batchInput === undefined ? { Items: items } : { BatchInput: batchInput, Items: items });
  const out: { input: Json; items: number }[] = [];
  let current: Json[] = [];
  for (const item of selected) {
    const next = [...current, item];
    const tooMany = maxItems !== undefined && maxItems > 0 && next.length > maxItems;
    const tooBig = maxBytes !== undefined && maxBytes > 0 && current.length > 0 && Buffer.byteLength(JSON.stringify(wrap(next))) > maxBytes;
    if (tooMany || tooBig) {
      out.push({ input: wrap(current), items: current.length });
      current = [item];
    } else {
      current = next;
    }
  }
  if (current.length > 0) out.push({ input: wrap(current), items: current.length });
  return out;
}

function transform(entries: MapRunResultEntry[], children: Child[], transformation: string): Json[] {
  if (transformation === 'NONE') return entries;
  const outputs = children.map((c, i) => (c.ok ? c.output : entries[i]));
  if (transformation === 'FLATTEN') return outputs.flatMap((o, i) => (children[i]!.ok && Array.isArray(o) ? o : [o]));
  return outputs; // COMPACT
}

async function runMap(name: string, state: Record<string, unknown>, child: AslMachine, input: Json, env: DistributedMapEnv): Promise<Json> {
  const label = String(state.Label ?? name);
  const runId = randomUUID();
  const mapRunArn = `arn:aws:states:${REGION_ACCOUNT}:mapRun:${env.machineName}/${label}:${runId}`;
  const childMachineArn = `arn:aws:states:${REGION_ACCOUNT}:stateMachine:${env.machineName}/${label}`;
  const baseContext = { State: { Name: name }, StateMachine: { Id: childMachineArn } };

  const items = await readItems(state, input, env);
  const selector = (state.ItemSelector ?? state.Parameters) as Json | undefined;
  const selected = selector === undefined ? items : items.map((value, index) => applyTemplate(selector, input, { ...baseContext, Map: { Item: { Index: index, Value: value } } }));
  const children: Child[] = batch(state, selected, input, baseContext).map((b) => ({ ...b, name: randomUUID() }));
  const total = items.length;

  const toleratedCount = numberField(state, 'ToleratedFailureCount', input);
  const toleratedPercent = numberField(state, 'ToleratedFailurePercentage', input);
  const exceeded = (failed: number) =>
    toleratedCount === undefined && toleratedPercent === undefined
      ? failed > 0
      : (toleratedCount !== undefined && failed > toleratedCount) || (toleratedPercent !== undefined && total > 0 && (failed * 100) / total > toleratedPercent);
  const concurrency = numberField(state, 'MaxConcurrency', input) || Number.POSITIVE_INFINITY;

  const machine = new env.StateMachine(child as never, { validationOptions: env.validated ? { noValidate: true } : { checkPaths: true } });
  env.progress?.start(name, children.length, total);
  let failedItems = 0;
  let stop = false;
  let next = 0;
  const runOne = async (c: Child) => {
    c.start = new Date().toISOString();
    try {
      c.output = await machine.run(c.input, { overrides: { taskResourceLocalHandlers: env.handlers } }).result;
      c.ok = true;
    } catch (e) {
      const err = e as Error & { cause?: Error };
      const inner = err.cause ?? err;
      c.ok = false;
      c.error = inner.name || 'States.TaskFailed';
      c.cause = inner.message;
      failedItems += c.items;
      if (exceeded(failedItems)) stop = true;
    }
    c.stop = new Date().toISOString();
    env.progress?.tick(name, c.items, c.ok);
  };
  const lanes = Array.from({ length: Math.min(children.length, concurrency) }, async () => {
    while (!stop && next < children.length) await runOne(children[next++]!);
  });
  await Promise.all(lanes);

  const ran = children.filter((c) => c.ok !== undefined);
  const entries: MapRunResultEntry[] = ran.map((c) => ({
    ExecutionArn: `arn:aws:states:${REGION_ACCOUNT}:execution:${env.machineName}/${label}:${c.name}`,
    Input: JSON.stringify(c.input),
    InputDetails: { Included: true },
    Name: c.name,
    ...(c.ok ? { Output: JSON.stringify(c.output ?? null), OutputDetails: { Included: true } } : { Error: c.error, Cause: c.cause }),
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: c.ok ? 'Execution is SUCCEEDED and cannot be redriven' : 'Execution is a child of a Map Run (redrive the parent)',
    StartDate: c.start!,
    StateMachineArn: childMachineArn,
    Status: c.ok ? 'SUCCEEDED' : 'FAILED',
    StopDate: c.stop!,
  }));

  const writer = state.ResultWriter as { Resource?: string; Parameters?: Json; WriterConfig?: { Transformation?: string; OutputType?: string } } | undefined;
  const outputType = writer?.WriterConfig?.OutputType ?? 'JSON';
  if (outputType !== 'JSON') throw named('States.ResultWriterFailed', `WriterConfig.OutputType ${outputType} is not supported locally (JSON is)`);
  let result: Json;
  if (writer?.Resource) {
    if (writer.Resource !== 'arn:aws:states:::s3:putObject') throw named('States.ResultWriterFailed', `ResultWriter ${writer.Resource} is not supported`);
    const p = applyTemplate(writer.Parameters ?? {}, input, baseContext) as { Bucket?: unknown; Prefix?: unknown };
    if (typeof p.Bucket !== 'string') throw named('States.ResultWriterFailed', 'ResultWriter Parameters need a Bucket');
    const prefix = typeof p.Prefix === 'string' ? p.Prefix.replace(/\/+$/, '') : '';
    const base = prefix === '' ? runId : `${prefix}/${runId}`;
    const transformation = writer.WriterConfig?.Transformation ?? 'NONE';
    const manifest: MapRunManifest = { DestinationBucket: p.Bucket, MapRunArn: mapRunArn, ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [] } };
    const put = async (key: string, body: string) => {
      const at = locateBucketKey(env.store(), { bucket: p.Bucket as string, key });
      await at.store.put(at.key, body, { contentType: 'application/json' });
    };
    for (const status of ['SUCCEEDED', 'FAILED'] as const) {
      const idx = entries.map((e, i) => (e.Status === status ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) continue;
      const key = `${base}/${status}_0.json`;
      const body = JSON.stringify(transform(idx.map((i) => entries[i]!), idx.map((i) => ran[i]!), status === 'FAILED' ? 'NONE' : transformation));
      await put(key, body);
      manifest.ResultFiles[status].push({ Key: key, Size: Buffer.byteLength(body) });
    }
    await put(`${base}/manifest.json`, JSON.stringify(manifest));
    result = { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: p.Bucket, Key: `${base}/manifest.json` } };
  } else {
    result = transform(entries, ran, writer?.WriterConfig?.Transformation ?? 'COMPACT');
  }

  if (exceeded(failedItems)) {
    const first = ran.find((c) => !c.ok)!;
    throw named(
      'States.ExceedToleratedFailureThreshold',
      `The specified tolerated failure threshold was exceeded: ${failedItems} of ${total} items failed (map run ${mapRunArn}); first failure ${first.error}: ${first.cause}`,
    );
  }
  return result;
}

// ---------------------------------------------------------------- the rewrite

/** Fields a Task and a Map share (everything else of the Map is handled by the local handler). */
const KEEP = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'];

/**
 * Replace every DISTRIBUTED Map (nested ones included) with a Task bound to a local
 * handler (registered in `env.handlers` under the Map's state name). Returns a new definition.
 */
export function rewriteDistributedMaps(machine: AslMachine, env: DistributedMapEnv): AslMachine {
  const states: Record<string, AslState> = {};
  for (const [name, s] of Object.entries(machine.States)) {
    let state: AslState = { ...s };
    for (const key of ['ItemProcessor', 'Iterator'] as const) {
      const inner = state[key];
      if (inner) state[key] = { ...inner, ...rewriteDistributedMaps(inner, env) };
    }
    if (Array.isArray(state.Branches)) state.Branches = (state.Branches as AslMachine[]).map((b) => rewriteDistributedMaps(b, env));
    if (isDistributedMap(s)) {
      const { ProcessorConfig: _p, ...child } = state.ItemProcessor as AslMachine & { ProcessorConfig?: unknown };
      const mapState = state as Record<string, unknown>;
      if (env.handlers[name]) throw new Error(`state name '${name}' is used twice; the local runner binds handlers by state name`);
      env.handlers[name] = (input) => runMap(name, mapState, child, input, env);
      // a Map has no timeout of its own; without one the local engine would apply its 60 s task default
      const task: AslState = { Type: 'Task', Resource: LOCAL_MAP_RESOURCE, TimeoutSeconds: 7 * 86400 };
      for (const k of KEEP) if (k in state) task[k] = state[k];
      state = task;
    }
    states[name] = state;
  }
  return { ...machine, States: states };
}

/** Names of the DISTRIBUTED Map states of a definition (nested included). */
export function distributedMapNames(machine: AslMachine): string[] {
  return Object.entries(machine.States).flatMap(([name, s]) => [
    ...(isDistributedMap(s) ? [name] : []),
    ...[s.ItemProcessor, s.Iterator, ...((s.Branches as AslMachine[] | undefined) ?? [])].filter((m): m is AslMachine => Boolean(m)).flatMap(distributedMapNames),
  ]);
}
