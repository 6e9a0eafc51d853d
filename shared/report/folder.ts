/** A result folder on disk as a ResultSource, and its report description. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NeuroburstError } from '../errors.ts';
import { describeResult } from './describe.ts';
import type { DescribeOptions } from './describe.ts';
import type { ResultSource } from './source.ts';
import type { ReportDescription } from './types.ts';

/** The folder is not a complete result (no result.json, or one that does not parse). */
export class NotAResultFolder extends NeuroburstError {
  constructor(message: string, input = '') {
    super('NotAResultFolder', message, input);
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export interface FolderOptions extends Omit<DescribeOptions, 'job'> {
  /** folder the job's relative input references resolve against (the folder of the job.json that was run) */
  inputsDir?: string;
}

/** A ResultSource over a local folder; relative input refs resolve against `inputsDir` when given. */
export function folderSource(dir: string, inputsDir?: string): ResultSource {
  const root = resolve(dir);
  const files = listFiles(root);
  return {
    files,
    read: async (rel) => {
      const p = join(root, rel);
      return files.includes(rel) && existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
    },
    readInput: async (ref) => {
      let p: string | undefined;
      if (ref.startsWith('file://')) p = fileURLToPath(ref);
      else if (/^[a-z0-9]+:\/\//i.test(ref)) p = undefined;
      else if (isAbsolute(ref)) p = ref;
      else if (inputsDir && !ref.split(/[\\/]/).includes('..')) p = join(resolve(inputsDir), ref);
      return p && existsSync(p) && statSync(p).isFile() ? new Uint8Array(readFileSync(p)) : undefined;
    },
  };
}

/** The report description of a result folder (result.json + job.json + maps/ + tables/) of any pipeline. */
export async function describeResultFolder(dir: string, opts: FolderOptions = {}): Promise<ReportDescription> {
  const path = join(dir, 'result.json');
  if (!existsSync(path)) throw new NotAResultFolder(`${dir} has no result.json: not a complete result`, path);
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new NotAResultFolder(`${path} is not valid JSON`, path);
  }
  const { inputsDir, ...rest } = opts;
  return describeResult(result, folderSource(dir, inputsDir), rest);
}
