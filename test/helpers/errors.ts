/** Expectations that code, or a whole job, fails with a named neuroburst error. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { NeuroburstError } from '../../shared/errors.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface NamedErrorExpectation {
  /** the error's `input` field (the offending field or file) */
  input?: string;
  /** a pattern the message must match */
  message?: RegExp;
}

/** A RegExp stands for `{ message }`, a string for `{ input }`. */
type Expectation = NamedErrorExpectation | RegExp | string;

function check(caught: unknown, named: string | ErrorClass, expectation: Expectation): NeuroburstError {
  const opts = expectation instanceof RegExp ? { message: expectation } : typeof expectation === 'string' ? { input: expectation } : expectation;
  expect(caught, 'expected a NeuroburstError').toBeInstanceOf(NeuroburstError);
  if (typeof named === 'string') expect((caught as Error).name).toBe(named);
  else expect(caught).toBeInstanceOf(named);
  const err = caught as NeuroburstError;
  if (opts.input !== undefined) expect(err.input).toBe(opts.input);
  if (opts.message) expect(err.message).toMatch(opts.message);
  return err;
}

/** `fn()` throws the error named `named` (an error name or class); returns it. */
export function expectNamed(fn: () => unknown, named: string | ErrorClass, opts: Expectation = {}): NeuroburstError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return check(caught, named, opts);
}

/** `promise` rejects with the error named `named` (an error name or class); returns it. */
export async function expectRejectsNamed(promise: Promise<unknown>, named: string | ErrorClass, opts: Expectation = {}): Promise<NeuroburstError> {
  const caught = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return check(caught, named, opts);
}

/** What error.json holds. */
export interface ErrorRecord {
  error: string;
  message: string;
  input: string;
}

/**
 * A local run that failed with `error`: the outcome says so, `<jobDir>/error.json` names the
 * error (its input and message matching the patterns given) and there is no
 * `<jobDir>/result.json`. Returns the error record.
 */
export function expectFailedJob(
  outcome: { status: string; error?: string },
  jobDir: string,
  error: string,
  opts: { input?: RegExp | string; message?: RegExp } = {},
): ErrorRecord {
  expect(outcome.status, JSON.stringify(outcome)).toBe('failed');
  expect(outcome.error).toBe(error);
  const rec = JSON.parse(readFileSync(join(jobDir, 'error.json'), 'utf8')) as ErrorRecord;
  expect(rec.error).toBe(error);
  if (typeof opts.input === 'string') expect(rec.input).toBe(opts.input);
  else if (opts.input) expect(rec.input).toMatch(opts.input);
  if (opts.message) expect(rec.message).toMatch(opts.message);
  expect(existsSync(join(jobDir, 'result.json')), `${jobDir}/result.json exists`).toBe(false);
  return rec;
}
