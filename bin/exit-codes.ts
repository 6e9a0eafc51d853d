/**
 * The CLI's exit codes: one class per kind of failure, chosen from the error's name (the
 * `error` field of error.json), so a script can tell a bad input from a refused budget
 * from a failed run without parsing messages. Every command ends through `exitCodeFor`.
 *
 *   0  success
 *   1  internal error (a bug: an unnamed error such as TypeError)
 *   2  invalid input: the job spec, an input file, a command-line option (every named input error)
 *   3  budget refused: the cost estimate exceeds budget.maxUsd (BudgetExceeded)
 *   4  runtime failure: a task timed out or failed, an intermediate is corrupt, a job ran but produced nothing usable
 *   5  cloud not configured or unreachable: credentials, region or endpoint missing or wrong
 */
import * as errors from '../shared/errors.ts';
import { NeuroburstError, errorRecord } from '../shared/errors.ts';
import { isCloudSetupErrorName } from './cloud/setup-errors.ts';

export const EXIT = { ok: 0, internal: 1, input: 2, budget: 3, runtime: 4, cloud: 5 } as const;
export type ExitClass = keyof typeof EXIT;

/** Named errors that are not about the input (every other NeuroburstError is class `input`). */
const NOT_INPUT: Record<string, ExitClass> = {
  BudgetExceeded: 'budget',
  CorruptIntermediate: 'runtime',
  InputChanged: 'runtime',
  CloudNotConfigured: 'cloud',
};

/** Errors the workflow engine, Lambda or the AWS SDK produce, by name. */
const ENGINE: Record<string, ExitClass> = {
  'States.Timeout': 'runtime',
  'States.TaskFailed': 'runtime',
  'States.Runtime': 'runtime',
  'States.ExceedToleratedFailureThreshold': 'runtime',
  'States.HeartbeatTimeout': 'runtime',
  'States.ItemReaderFailed': 'runtime',
  'States.ResultWriterFailed': 'runtime',
  'Sandbox.Timedout': 'runtime',
  ExecutionFailed: 'runtime',
  ExecutionTimedOut: 'runtime',
  ExecutionAborted: 'runtime',
  ThrottlingException: 'runtime',
  ServiceUnavailable: 'runtime',
  SlowDown: 'runtime',
  // out of memory in a worker thread
  ERR_WORKER_OUT_OF_MEMORY: 'runtime',
  NoSuchBucket: 'input',
  NoSuchKey: 'input',
  NotFound: 'input',
  StateMachineDoesNotExist: 'input',
  ExecutionDoesNotExist: 'input',
  // commander's usage errors (unknown option, missing argument, …)
  CommanderError: 'input',
};

/** Names of every NeuroburstError the project exports (shared/errors.ts), found by constructing each class. */
function namedInputErrors(): Set<string> {
  const names = new Set<string>();
  for (const value of Object.values(errors)) {
    if (typeof value !== 'function' || value === NeuroburstError || !(value.prototype instanceof NeuroburstError)) continue;
    try {
      names.add((new (value as new (m: string) => Error)('') as Error).name);
    } catch {
      /* a class with another constructor: not one of the `named` errors */
    }
  }
  for (const name of errors.NAMED_ELSEWHERE) names.add(name);
  return names;
}
const NAMED = namedInputErrors();

/** The exit class of an error name (error.json's `error`). */
export function exitClassOf(name: string): ExitClass {
  if (Object.hasOwn(NOT_INPUT, name)) return NOT_INPUT[name]!;
  if (Object.hasOwn(ENGINE, name)) return ENGINE[name]!;
  if (NAMED.has(name)) return 'input';
  if (isCloudSetupErrorName(name)) return 'cloud';
  if (name.startsWith('States.')) return 'runtime';
  return 'internal';
}

/** The process exit code of an error name. */
export function exitCodeFor(name: string): number {
  return EXIT[exitClassOf(name)];
}

/** Every error name the CLI classifies explicitly, with its exit class (for the README and tests). */
export function exitTable(): { name: string; class: ExitClass; code: number }[] {
  const names = [...new Set([...NAMED, ...Object.keys(NOT_INPUT), ...Object.keys(ENGINE)])].sort();
  return names.map((name) => ({ name, class: exitClassOf(name), code: exitCodeFor(name) }));
}

/** `neuroburst: Name: message (input: x)` — the one line every command prints for a failure. */
export function errorLine(r: { error: string; message: string; input?: string }): string {
  return `neuroburst: ${r.error}: ${r.message}${r.input ? ` (input: ${r.input})` : ''}`;
}

/**
 * Print a caught error on stderr (never a stack trace for a named error; an internal one
 * says it is a bug) and return its exit code.
 */
export function reportError(e: unknown): number {
  const r = errorRecord(e);
  const code = exitCodeFor(r.error);
  console.error(errorLine(r));
  if (code === EXIT.internal && !(e instanceof NeuroburstError) && process.env.NEUROBURST_DEBUG && e instanceof Error && e.stack) console.error(e.stack);
  if (code === EXIT.internal) console.error('neuroburst: this is an internal error (a bug); NEUROBURST_DEBUG=1 prints its stack');
  return code;
}
