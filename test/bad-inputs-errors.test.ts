/**
 * Every error name the code can produce is documented and classified: the named errors of
 * shared/errors.ts, the ones defined beside the code that throws them (found by scanning the
 * sources for `named('X')`, `super('X', …)` and `new NeuroburstError('X', …)`), each listed
 * in the README's "Errors" section and given an exit code other than "internal error".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../shared/errors.ts';
import { NeuroburstError } from '../shared/errors.ts';
import { EXIT, exitCodeFor } from '../bin/exit-codes.ts';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules' && !name.startsWith('.')) out.push(...sources(p));
    } else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Error names given in the sources of shared/, bin/, runner/, functions/ and lib/. */
function namesInSources(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [/\bnamed\('([A-Za-z]+)'\)/g, /\bsuper\('([A-Za-z]+)',/g, /new NeuroburstError\('([A-Za-z]+)',/g];
  for (const dir of ['shared', 'bin', 'runner', 'functions', 'lib']) {
    for (const file of sources(join(ROOT, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const re of patterns) for (const m of text.matchAll(re)) if (!found.has(m[1]!)) found.set(m[1]!, file.slice(ROOT.length + 1));
    }
  }
  return found;
}

/** Names of the classes exported by shared/errors.ts (constructing each). */
function exportedNames(): string[] {
  return Object.values(errors).flatMap((v) => {
    if (typeof v !== 'function' || v === NeuroburstError || !(v.prototype instanceof NeuroburstError)) return [];
    return [(new (v as new (m: string) => Error)('') as Error).name];
  });
}

/** The README's "## Errors" section. */
function errorsSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Errors\n');
  expect(start, 'README has an "## Errors" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('every error name is documented and classified', () => {
  const inSources = namesInSources();
  const exported = exportedNames();
  const all = [...new Set([...exported, ...errors.NAMED_ELSEWHERE, ...inSources.keys()])].sort();

  it('the source scan finds the named errors (it can fail: it must see the known ones)', () => {
    for (const n of ['InvalidNifti', 'TooFewSubjects', 'InvalidCounts', 'NotAResultFolder', 'TooFewRegions']) expect(inSources.has(n), n).toBe(true);
    expect(all.length).toBeGreaterThan(30);
  });

  it('a name defined outside shared/errors.ts is in NAMED_ELSEWHERE (so the CLI classifies it)', () => {
    const missing = [...inSources].filter(([n]) => !exported.includes(n) && !errors.NAMED_ELSEWHERE.includes(n)).map(([n, f]) => `${n} (${f})`);
    expect(missing).toEqual([]);
  });

  it('no name is classified as an internal error (exit 1)', () => {
    for (const n of all) expect(exitCodeFor(n), n).not.toBe(EXIT.internal);
    expect(exitCodeFor('TypeError')).toBe(EXIT.internal);
  });

  it('the README "Errors" section lists every name', () => {
    const section = errorsSection();
    const missing = all.filter((n) => !section.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });
});
