/**
 * The upload-trigger path, locally. On AWS: S3 Object Created (jobs/<jobId>/job.json) →
 * EventBridge rule (input transformer: {bucket, key, versionId, etag}) → trigger workflow
 * (statemachines/trigger.asl.json: derives the execution name, starts the router under
 * it; a taken name is a duplicate delivery) → router (statemachines/router.asl.json:
 * Validate, then the pipeline's workflow under the same name) → pipeline.
 *
 * Here the same two ASL files run with aws-local-stepfunctions: the trigger's
 * StartRouter is bound to "start the router unless an execution of that name exists"
 * (names recorded under `<outDir>/.executions/`), the router's Validate/RecordFailure to
 * their handlers, and RunPipeline to `runLocal` (worker threads, the pipeline's own ASL).
 * As on AWS, outputs go to the object store, not to local disk: by default the bucket the
 * job came from, `results/<jobId>/…` and intermediates under `work/<jobId>/…`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { polyfillPromiseWithResolvers } from './polyfill.ts';
import { loadAsl, localSubstitutions, substitute } from './asl.ts';
import { runLocal, useStore } from './local.ts';
import type { LocalRunOutcome, StoreSettings } from './local.ts';

polyfillPromiseWithResolvers();

/** What the EventBridge input transformer hands the trigger workflow. */
export interface TriggerInput {
  bucket: string;
  key: string;
  versionId: string;
  etag: string;
}

/** The rule's key pattern `jobs/*\/job.json` (EventBridge wildcard: `*` matches any characters, '/' included). */
export function isJobSpecKey(key: string): boolean {
  return key.startsWith('jobs/') && key.endsWith('/job.json') && key.length > 'jobs/'.length + '/job.json'.length - 1;
}

/** The input transformer's mapping of an EventBridge "Object Created" event. */
export function triggerInputFromEventBridge(event: { detail: { bucket: { name: string }; object: { key: string; etag?: string; 'version-id'?: string } } }): TriggerInput {
  const o = event.detail.object;
  return { bucket: event.detail.bucket.name, key: o.key, versionId: o['version-id'] ?? '', etag: o.etag ?? '' };
}

/** The same mapping for an S3 notification record (what s3rver and S3 notifications emit); keys there are URL-encoded. */
export function triggerInputFromS3Record(record: {
  s3: { bucket: { name: string }; object: { key: string; eTag?: string; versionId?: string; sequencer?: string } };
}): TriggerInput {
  const o = record.s3.object;
  return {
    bucket: record.s3.bucket.name,
    key: decodeURIComponent(o.key.replace(/\+/g, ' ')),
    // an unversioned server (s3rver) has no version ids: its per-write sequencer plays their part
    versionId: o.versionId ?? o.sequencer ?? '',
    etag: (o.eTag ?? '').replace(/^"|"$/g, ''),
  };
}

/**
 * The execution name the trigger workflow derives (its Describe state):
 * hex SHA-256 of `<key>#<versionId>#<etag>`. The key holds the jobId; a re-upload has a
 * new version id, a duplicate delivery of the same upload the same name.
 */
export function executionName(input: TriggerInput): string {
  return createHash('sha256').update(`${input.key}#${input.versionId}#${input.etag}`).digest('hex');
}

/** `name`: the router execution name (as on AWS); `aslName`: what the trigger ASL computed in the emulator. */
export type TriggerOutcome = { name: string; aslName: string; seconds: number } & (
  | { status: 'duplicate' }
  | { status: 'succeeded'; jobUri: string; pipeline: string }
  | { status: 'failed'; jobUri: string; error: string; message: string }
);

export interface TriggerLocalOptions {
  /** local folder of the trigger's own state: `.executions/` (claimed execution names) */
  outDir: string;
  threads?: number;
  /** the work/results store (default `s3://<bucket of the event>`) */
  store?: string;
  /** @default 'work/' */
  workPrefix?: string;
  /** @default 'results/' */
  resultsPrefix?: string;
}

type Handler = (input: unknown) => Promise<unknown>;

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Claim an execution name once per output folder (StartExecution's "name already taken"). */
function claim(outDir: string, name: string): boolean {
  const dir = join(outDir, '.executions');
  mkdirSync(dir, { recursive: true });
  try {
    closeSync(openSync(join(dir, name), 'wx'));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Handle one Object Created event locally, through trigger.asl.json and router.asl.json.
 * Keys that do not match `jobs/*\/job.json` are ignored by the caller (the rule's pattern).
 */
export async function runTriggerLocal(input: TriggerInput, opts: TriggerLocalOptions): Promise<TriggerOutcome> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const { handlers } = await import('../functions/index.ts');
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  const seconds = () => (performance.now() - t0) / 1000;
  let pipelineRun: { pipeline: string; outcome: LocalRunOutcome } | undefined;
  let routed: { name: string; jobUri: string } | undefined;
  let routerError: Error | undefined;

  // the cloud layout, in the bucket the job came from unless told otherwise; in-process
  // handlers see the same store and layout as runLocal's workers
  const stores: StoreSettings = {
    store: opts.store ?? `s3://${input.bucket}`,
    workPrefix: opts.workPrefix ?? 'work/',
    resultsPrefix: opts.resultsPrefix ?? 'results/',
  };
  const lambda = (name: string): Handler => async (event) => {
    useStore(stores);
    return (handlers[name] as Handler)(event);
  };

  const router = loadAsl('router');
  const routerMachine = new StateMachine(substitute(router, { ...localSubstitutions(router), PipelineStateMachineArnPrefix: 'arn:aws:states:us-east-1:000000000000:stateMachine:local-' }) as never);
  const runRouter = async (name: string, routerInput: { jobUri: string }) => {
    routed = { name, jobUri: routerInput.jobUri };
    const execution = routerMachine.run(routerInput, {
      context: { Execution: { Id: `arn:aws:states:us-east-1:000000000000:execution:local-router:${name}`, Name: name } } as never,
      overrides: {
        taskResourceLocalHandlers: {
          Validate: lambda('Validate'),
          RecordFailure: lambda('RecordFailure'),
          RunPipeline: async (p: { StateMachineArn: string; Name: string; Input: { jobUri: string; job?: { jobId: string; pipeline: string; context: string } } }) => {
            const pipeline = p.StateMachineArn.slice(p.StateMachineArn.lastIndexOf(':local-') + ':local-'.length);
            const outcome = await runLocal({ jobUri: p.Input.jobUri, validated: p.Input.job, pipeline, ...stores, threads: opts.threads });
            pipelineRun = { pipeline, outcome };
            // startExecution.sync:2 fails the calling Task with States.TaskFailed when the child fails
            if (outcome.status === 'failed') throw named('States.TaskFailed', JSON.stringify({ error: outcome.error, cause: outcome.message, status: 'FAILED' }));
            return { ExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:local-${pipeline}:${p.Name}`, Status: 'SUCCEEDED', Output: JSON.stringify(outcome.output) };
          },
        } as never,
      },
    });
    return execution.result;
  };

  const trigger = loadAsl('trigger');
  const triggerMachine = new StateMachine(
    substitute(trigger, { ...localSubstitutions(trigger), RouterStateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:local-router' }) as never,
  );
  let duplicate = false;
  let derivedName = '';
  let aslName = '';
  const execution = triggerMachine.run({ ...input }, {
    overrides: {
      taskResourceLocalHandlers: {
        RecordFailure: lambda('RecordFailure'),
        StartRouter: async (p: { StateMachineArn: string; Name: string; Input: { jobUri: string } }) => {
          // aws-local-stepfunctions 3.0's States.Hash is wrong for inputs of 56 bytes or more
          // (its padding of multi-block messages), so the name AWS computes is taken from
          // executionName(); for short inputs the two agree (tested), which pins the formula.
          aslName = p.Name;
          derivedName = executionName(input);
          if (!claim(outDir, derivedName)) {
            duplicate = true;
            throw named('StepFunctions.ExecutionAlreadyExistsException', `Execution Already Exists: '${derivedName}'`);
          }
          await runRouter(derivedName, p.Input).catch((e: Error & { cause?: Error }) => {
            routerError = e.cause ?? e;
          });
          return { ExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:local-router:${derivedName}`, StartDate: new Date().toISOString() };
        },
      } as never,
    },
  });
  try {
    await execution.result;
  } catch (e) {
    const err = e as Error & { cause?: Error };
    const inner = err.cause ?? err;
    return { status: 'failed', name: derivedName, aslName, jobUri: routed?.jobUri ?? '', error: inner.name, message: inner.message, seconds: seconds() };
  }
  if (duplicate) return { status: 'duplicate', name: derivedName, aslName, seconds: seconds() };
  if (!routed) throw new Error('the trigger workflow finished without starting the router');
  if (pipelineRun?.outcome.status === 'succeeded') return { status: 'succeeded', name: routed.name, aslName, jobUri: routed.jobUri, pipeline: pipelineRun.pipeline, seconds: seconds() };
  if (pipelineRun?.outcome.status === 'failed') {
    return { status: 'failed', name: routed.name, aslName, jobUri: routed.jobUri, error: pipelineRun.outcome.error, message: pipelineRun.outcome.message, seconds: seconds() };
  }
  const failure = routerError as Error | undefined;
  return { status: 'failed', name: routed.name, aslName, jobUri: routed.jobUri, error: failure?.name ?? 'RouterFailed', message: failure?.message ?? 'the router stopped before starting a pipeline', seconds: seconds() };
}
