/**
 * The bad-input corpus: each case builds a small synthetic job folder, runs it the way
 * `neuroburst run` does (in process, through the same ASL), and asserts what a user must see —
 * the named error, the offending field or file, the exit code of its class, an `error.json`
 * and no `result.json`, the inputs unchanged, no fan-out started, and a quick failure. Cases
 * that are accepted but suspicious assert a warning in `result.json` instead.
 *
 *   const cases: BadCase[] = [{ name: '4-D mask', build: (dir) => { …; return join(dir, 'job.json'); },
 *                               error: 'InvalidInput', input: /inputs\.mask/ }];
 *   describeCorpus('glm', cases);
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../../bin/run.ts';
import { EXIT, exitCodeFor } from '../../bin/exit-codes.ts';
import { tmpDir } from './tmp.ts';

interface CaseBase {
  /** what is wrong, as a user would say it */
  name: string;
  /** writes the inputs into `dir` (its own fresh folder) and returns the job.json path */
  build: (dir: string) => string;
  /** the failure must come within this many seconds of wall time (default 20) */
  maxSeconds?: number;
  /** `--threads` as typed on the command line (default: not given) */
  threads?: string;
  /** the `--out` folder, given the case's folder (default `<dir>/__out`) */
  out?: (dir: string) => string;
}

/** A case that must be refused by name. */
export interface RefusedCase extends CaseBase {
  error: string;
  /** the offending field or file, as error.json's `input` */
  input?: RegExp | string;
  message?: RegExp;
  /** text that must not appear in the message (e.g. file contents) */
  notInMessage?: (string | RegExp)[];
}

/** A case accepted with a warning in result.json. */
export interface WarnedCase extends CaseBase {
  warning: RegExp;
}

export type BadCase = RefusedCase | WarnedCase;

/** Every file under `dir` except the output folder, with a digest of its bytes. */
function snapshot(dir: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (p === skip) continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Every warning string in a result.json, at any depth. */
export function warningsIn(r: unknown): string[] {
  if (Array.isArray(r)) return r.flatMap(warningsIn);
  if (!r || typeof r !== 'object') return [];
  const o = r as Record<string, unknown>;
  const own = Array.isArray(o.warnings) ? o.warnings.filter((w): w is string => typeof w === 'string') : [];
  return [...own, ...Object.entries(o).filter(([k]) => k !== 'warnings').flatMap(([, v]) => warningsIn(v))];
}

/**
 * What the tasks before any fan-out may write in a job's work folder
 * `<out>/.work/<jobId>/<specHash>/` (the local layout; `work/` on AWS): the context and
 * input fingerprints (Validate), the estimate, plan and per-subject QC records (Plan), and
 * those two tasks' metrics. Anything else — item lists and map runs of a Distributed Map,
 * shard outputs — means a fan-out started.
 */
const BEFORE_FAN_OUT = /^[^/]+\/[^/]+\/((context|inputs|estimate|plan)\.json|qc\/[^/]+\.json|(metrics|item-ms|errors)\/(validate|plan)\/[^/]+\.json|warnings\/(validate|plan)\.json)$/;

/** Files a fan-out would have written (anything under the work folders beyond the records of Validate and Plan). */
export function fannedOut(out: string): string[] {
  return ['.work', 'work'].flatMap((w) => filesUnder(join(out, w)).filter((f) => !BEFORE_FAN_OUT.test(f)).map((f) => `${w}/${f}`));
}

/** Run one case and check everything the corpus promises. */
export async function checkCase(c: BadCase): Promise<void> {
  const dir = tmpDir('nb-bad-');
  const out = c.out ? c.out(dir) : join(dir, '__out');
  const jobPath = c.build(dir);
  const before = snapshot(dir, out);
  const t0 = performance.now();
  const r = await executeJob(jobPath, { out, progress: false, ...(c.threads !== undefined ? { threads: c.threads } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  expect(snapshot(dir, out), 'inputs unchanged').toEqual(before);
  expect(seconds, 'time to fail/finish (s)').toBeLessThan(c.maxSeconds ?? 20);
  if ('warning' in c) {
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    const result = JSON.parse(readFileSync(r.result!, 'utf8')) as unknown;
    const ws = warningsIn(result);
    expect(ws.some((w) => c.warning.test(w)), `warning ${c.warning} in ${JSON.stringify(ws)}`).toBe(true);
    expect(r.summary?.warnings.some((w) => c.warning.test(w)), 'warning in the CLI summary').toBe(true);
    return;
  }
  expect(r.status, 'status').toBe('failed');
  expect(r.error?.error, JSON.stringify(r.error)).toBe(c.error);
  expect(r.exitCode).toBe(exitCodeFor(c.error));
  expect(r.exitCode, 'not an internal error').not.toBe(EXIT.internal);
  if (typeof c.input === 'string') expect(r.error?.input).toBe(c.input);
  else if (c.input) expect(r.error?.input ?? '').toMatch(c.input);
  if (c.message) expect(r.error?.message ?? '').toMatch(c.message);
  for (const bad of c.notInMessage ?? []) {
    if (typeof bad === 'string') expect(r.error?.message ?? '').not.toContain(bad);
    else expect(r.error?.message ?? '').not.toMatch(bad);
  }
  if (r.resultsDir) {
    expect(existsSync(join(r.resultsDir, 'result.json')), 'no result.json').toBe(false);
    if (r.errorRecord) expect(existsSync(r.errorRecord), 'error.json written').toBe(true);
  }
  expect(fannedOut(out), 'no fan-out before the refusal').toEqual([]);
}

/** One vitest case per corpus entry. */
export function describeCorpus(title: string, cases: BadCase[], timeoutMs = 60_000): void {
  describe(title, () => {
    const names = cases.map((c) => c.name);
    it('case names are unique', () => expect(new Set(names).size).toBe(names.length));
    for (const c of cases) it(c.name, () => checkCase(c), timeoutMs);
  });
}
