import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { progressFor } from './progress.ts';
import type { ProgressMode } from './progress.ts';
import { polyfillPromiseWithResolvers } from './polyfill.ts';
import { LOCAL_MACHINE_ARN_PREFIX, loadAsl, localSubstitutions, mapStates, startExecutionStates, substitute, taskStates } from './asl.ts';
import type { AslMachine } from './asl.ts';
import type { WorkerCall, WorkerReply } from './worker.ts';
import { resetTaskEnv, taskEnv } from '../shared/runtime/task.ts';
import { bucketKeyOf } from '../shared/storage/items.ts';
import { manifestOf } from '../shared/pipelines/manifests.ts';
import { distributedMapNames, rewriteDistributedMaps } from './distributed.ts';
import type { StateMachineCtor } from './distributed.ts';

polyfillPromiseWithResolvers();

export interface LocalRunOptions {
  /** URI of job.json (file:// or s3://) */
  jobUri: string;
  /** the Validate result of a router that has already validated the job (`$.job`): the pipeline skips its own Validate, as on AWS */
  validated?: { jobId: string; pipeline: string; context: string };
  pipeline: string;
  /** folder that receives <jobId>/ results and .work/ intermediates (the default store); required unless `store` is given */
  outDir?: string;
  /** the work/results store: 'file:///abs/dir' or 's3://bucket[/prefix]' (default: file:// of outDir) */
  store?: string;
  /** key prefix of intermediates in the store (default '.work/'; the cloud uses 'work/') */
  workPrefix?: string;
  /** key prefix of results in the store (default '': `<jobId>/`; the cloud uses 'results/') */
  resultsPrefix?: string;
  threads?: number;
  /** 'bars' (a terminal), 'lines' (start/finish of each stage on stderr), 'none'; true = 'bars', false = 'none' */
  progress?: boolean | ProgressMode;
  /** run this definition instead of statemachines/<pipeline>.asl.json (tests, tools) */
  definition?: AslMachine;
  /**
   * Handlers by name (`${<Name>FunctionArn}`) run in this thread instead of the worker pool's
   * functions/index.ts handlers; names not listed still go to the pool.
   */
  localHandlers?: Record<string, (event: unknown) => Promise<unknown>>;
  /** further fields of the execution input (a parent workflow's start, e.g. reho GroupRun's `embed`) */
  input?: Record<string, unknown>;
  /** the execution's name (`$$.Execution.Name`; a started child gets the name its parent gave) @default 'local' */
  executionName?: string;
}

export interface StoreSettings {
  store: string;
  workPrefix: string;
  resultsPrefix: string;
}

/** The store settings of a run: explicit ones, else file:// of outDir with '.work/' and ''. */
export function storeSettings(opts: { outDir?: string; store?: string; workPrefix?: string; resultsPrefix?: string }): StoreSettings {
  if (!opts.store && !opts.outDir) throw new Error('runLocal needs outDir or store');
  return {
    store: opts.store ?? pathToFileURL(resolve(opts.outDir!)).href,
    workPrefix: opts.workPrefix ?? '.work/',
    resultsPrefix: opts.resultsPrefix ?? '',
  };
}

/**
 * Point this process's task environment (NEUROBURST_STORE and the layout prefixes) at a
 * store. Worker threads started afterwards inherit it.
 */
export function useStore(s: StoreSettings): void {
  process.env.NEUROBURST_STORE = s.store;
  process.env.NEUROBURST_WORK_PREFIX = s.workPrefix;
  process.env.NEUROBURST_RESULTS_PREFIX = s.resultsPrefix;
  resetTaskEnv();
}

/**
 * Definitions this process has validated (their JSON text, placeholders substituted): a second
 * run of the same workflow (a bench's repeat, a child workflow started again) skips
 * asl-validator, which costs 0.2–0.5 s of the runner's thread per call.
 */
const validatedDefinitions = new Set<string>();

/** Validate `definition` as written (checkPaths: every Distributed Map's ItemProcessor included), once per process per definition. */
function validateOnce(StateMachine: new (d: never, o: unknown) => unknown, definition: AslMachine): void {
  const text = JSON.stringify(definition);
  if (validatedDefinitions.has(text)) return;
  new StateMachine(definition as never, { validationOptions: { checkPaths: true } });
  validatedDefinitions.add(text);
}

export type LocalRunOutcome =
  | { status: 'succeeded'; output: Record<string, unknown>; seconds: number }
  | { status: 'failed'; error: string; message: string; seconds: number };

function getPath(obj: unknown, path: string): unknown {
  if (path === '$') return obj;
  return path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/**
 * Execute a pipeline's ASL file in-process: the same definition CDK deploys, with
 * each Task bound (by its `${<Name>FunctionArn}` placeholder) to the handler of that
 * name running in a worker-thread pool. Results go to `outDir/<jobId>/` (or, with `store`,
 * to `<store>/<resultsPrefix><jobId>/`, intermediates under `<workPrefix><jobId>/`).
 */
export function runLocal(opts: LocalRunOptions): Promise<LocalRunOutcome> {
  return runOn(opts);
}

/**
 * `runLocal` on the worker pool of a parent run (`shared`: a workflow another one started runs
 * on the same threads, which have booted and loaded the shared modules) or on a pool of its own.
 */
async function runOn(opts: LocalRunOptions, shared?: Piscina): Promise<LocalRunOutcome> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const t0 = performance.now();
  useStore(storeSettings(opts));

  // a pipeline runs its manifest's workflow; only an explicit definition (tests, tools) runs anything else
  if (!opts.definition && !manifestOf(opts.pipeline)) throw new Error(`no pipeline manifest named "${opts.pipeline}" (shared/pipelines/manifests.ts)`);
  const asl = opts.definition ?? loadAsl(opts.pipeline);
  // the store's bucket stands in for the stack's buckets (ItemReader/ResultWriter parameters)
  const storeBucket = bucketKeyOf(taskEnv().store, 'x').bucket;
  const substituted = substitute(asl, { ResultsBucketName: storeBucket, InputBucketName: storeBucket, ...localSubstitutions(asl) });
  const tsSource = import.meta.url.endsWith('.ts');
  const threads = opts.threads ?? availableParallelism();
  const pool =
    shared ??
    new Piscina({
      filename: new URL(`./worker.${tsSource ? 'ts' : 'js'}`, import.meta.url).href,
      // tsx resolved from this package, not from the working directory (the CLI runs from anywhere)
      execArgv: tsSource ? ['--import', import.meta.resolve('tsx')] : [],
      // every thread starts at once, while the first stage runs: a thread started on demand
      // boots (module graph, tsx) in the middle of the first fan-out, on the core it should use
      maxThreads: threads,
      minThreads: threads,
      idleTimeout: 1000,
    });
  // when this run began, for its report's run time (Validate starts only once a thread has booted);
  // a call carries it, as a workflow another one starts runs on its parent's pool
  const runStartedAt = new Date(Date.now() - (performance.now() - t0)).toISOString();
  const closePool = () => (shared ? Promise.resolve() : pool.destroy());

  // every thread loads the first task's module (Validate: the job's pipeline's validation too)
  // while this thread validates the definition: the first task then runs on whichever thread is
  // ready first, never loading it a second time, and the modules it shares with the next
  // stages' (storage, schemas, NIfTI) are loaded on every thread; a failed warm-up is the task's to report
  const first = taskStates(asl).find(({ state, handler }) => asl.States[state]?.Type === 'Task' && !(opts.validated && handler === 'Validate'))?.handler;
  if (first && !opts.localHandlers?.[first]) {
    for (let i = 0; i < threads; i++) void pool.run({ name: first, event: { pipeline: opts.pipeline }, warm: true } satisfies WorkerCall).catch(() => undefined);
  }

  const mode: ProgressMode = opts.progress === true ? 'bars' : opts.progress === false || opts.progress === undefined ? 'none' : opts.progress;
  const progress = progressFor(mode);
  const distributed = new Set(distributedMapNames(asl));
  const mapPaths = new Map(mapStates(asl).filter((m) => !distributed.has(m.state)).map((m) => [m.state, m.itemsPath]));
  // stages are the top-level states; Tasks inside a Map's processor are its shards
  const topTasks = new Set(Object.entries(asl.States).filter(([, s]) => s.Type === 'Task').map(([name]) => name));

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const { state, handler } of taskStates(asl)) {
    handlers[state] = async (input: unknown) => {
      const stage = progress && topTasks.has(state);
      if (stage) progress.taskStart(state);
      const inThread = opts.localHandlers?.[handler];
      const reply: WorkerReply = inThread
        ? await inThread(input).then(
            (value) => ({ ok: true as const, value }),
            (e: Error) => ({ ok: false as const, name: e?.name ?? 'Error', message: e?.message ?? String(e) }),
          )
        : ((await pool.run({ name: handler, event: input, runStartedAt } satisfies WorkerCall)) as WorkerReply);
      if (stage) progress.taskEnd(state, reply.ok);
      if (!reply.ok) {
        const e = new Error(reply.message);
        e.name = reply.name;
        throw e;
      }
      return reply.value as never;
    };
  }

  // a Task that starts another workflow runs that workflow's file here, in the same store (startExecution.sync:2: waits, Output parsed)
  for (const { state, resource } of startExecutionStates(asl)) {
    handlers[state] = async (input: unknown) => {
      const p = input as { StateMachineArn: string; Name?: string; Input: { jobUri: string; job?: LocalRunOptions['validated']; [k: string]: unknown } };
      if (!p.StateMachineArn.startsWith(LOCAL_MACHINE_ARN_PREFIX)) throw new Error(`${state}: ${p.StateMachineArn} is no local workflow`);
      const pipeline = p.StateMachineArn.slice(LOCAL_MACHINE_ARN_PREFIX.length);
      const { jobUri, job, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: _parent, ...rest } = p.Input;
      // on this run's threads (the same count: a child asks for no more than its parent has)
      const outcome = await runOn({ jobUri, validated: job, pipeline, ...storeSettings(opts), threads, localHandlers: opts.localHandlers, input: rest, executionName: p.Name }, pool);
      const arn = `arn:aws:states:us-east-1:000000000000:execution:local-${pipeline}:${p.Name ?? 'child'}`;
      if (!resource.includes('.sync')) return { ExecutionArn: arn, StartDate: new Date().toISOString() };
      // a failed child fails the calling Task with States.TaskFailed (its cause: the child's error and cause)
      if (outcome.status === 'failed') {
        const e = new Error(JSON.stringify({ error: outcome.error, cause: outcome.message, status: 'FAILED' }));
        e.name = 'States.TaskFailed';
        throw e;
      }
      return { ExecutionArn: arn, Status: 'SUCCEEDED', Output: resource.endsWith(':2') ? outcome.output : JSON.stringify(outcome.output) };
    };
  }

  // the whole definition is validated once, as written (every Distributed Map's ItemProcessor
  // included, as Step Functions does on deploy); the rewritten one and the Maps' children are not again
  try {
    validateOnce(StateMachine as never, substituted);
  } catch (e) {
    await closePool();
    throw e;
  }
  // Distributed Maps run here (ItemReader/ItemBatcher/ResultWriter), their children through the same handlers
  const definition = rewriteDistributedMaps(substituted, {
    validated: true,
    store: () => taskEnv().store,
    StateMachine: StateMachine as unknown as StateMachineCtor,
    handlers,
    machineName: `local-${opts.pipeline}`,
    progress: progress && {
      start: (state, workers, items) => progress.mapStart(state, items ?? workers, workers),
      tick: (state, items, ok) => progress.mapTick(state, items ?? 1, ok ?? true),
    },
  });
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const execution = machine.run({ ...opts.input, jobUri: opts.jobUri, ...(opts.validated ? { job: opts.validated } : {}) }, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: { Execution: { Id: `arn:aws:states:us-east-1:000000000000:execution:local-${opts.pipeline}:${opts.executionName ?? 'local'}`, Name: opts.executionName ?? 'local' } } as never,
  });
  const watch = (async () => {
    if (!progress) return;
    for await (const ev of execution.eventLogs) {
      const e = ev as { type: string; state?: { name: string; input?: unknown }; parentState?: { name: string } };
      if (e.type === 'StateEntered' && e.state && mapPaths.has(e.state.name)) {
        const items = getPath(e.state.input, mapPaths.get(e.state.name)!);
        const n = Array.isArray(items) ? items.length : 0;
        progress.mapStart(e.state.name, n, n);
      } else if ((e.type === 'MapIterationSucceeded' || e.type === 'MapIterationFailed') && e.parentState) {
        progress.mapTick(e.parentState.name, 1, e.type === 'MapIterationSucceeded');
      }
    }
  })();
  try {
    const output = (await execution.result) as Record<string, unknown>;
    return { status: 'succeeded', output, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    const err = e as Error & { cause?: unknown };
    const inner = (err.cause ?? err) as Error;
    return { status: 'failed', error: inner.name || err.name, message: inner.message || err.message, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await watch.catch(() => undefined);
    progress?.stop();
    await closePool();
  }
}
