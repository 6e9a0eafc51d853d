/**
 * What the CDK app reads from the repository, discovered generically so that a new
 * pipeline (an ASL file, its handlers in functions/index.ts, its task types in TASKS)
 * needs no change here:
 *  - every handler of functions/index.ts with its entry file and task type;
 *  - every statemachines/*.asl.json with the `${...}` placeholders it uses.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TASKS } from '../shared/jobs/cost.ts';
import type { TaskType } from '../shared/jobs/cost.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');
export const STATEMACHINES_DIR = join(REPO_ROOT, 'statemachines');

/**
 * Task type of handlers that do not go through `task(type, ...)` (their source names
 * no task type). Every other handler's type is read from its `task('<type>', ...)` call.
 */
export const HANDLER_TASK_TYPES: Record<string, TaskType> = {
  RecordFailure: 'recordFailure',
};

export interface HandlerSource {
  /** name used by `${<name>FunctionArn}` placeholders and functions/index.ts */
  name: string;
  /** absolute path of the handler module (exports `handler`) */
  entry: string;
  taskType: TaskType;
  memoryMb: number;
  timeoutSeconds: number;
}

/**
 * Parse functions/index.ts: `import { handler as x } from './file.ts'` lines and the
 * `Name: x` entries of the `handlers` object. Parsing (rather than importing) keeps the
 * CDK app free of the compute package's module graph.
 */
export function discoverHandlers(functionsDir = FUNCTIONS_DIR): HandlerSource[] {
  const index = readFileSync(join(functionsDir, 'index.ts'), 'utf8');
  const files = new Map<string, string>();
  for (const m of index.matchAll(/import\s*\{\s*handler\s+as\s+(\w+)\s*\}\s*from\s*'\.\/([\w.-]+)'/g)) {
    files.set(m[1]!, m[2]!);
  }
  const body = /export const handlers\b[^\n]*=\s*\{\s*\n([\s\S]*?)\n\};/.exec(index);
  if (!body) throw new Error('functions/index.ts: no `export const handlers = { ... };` object found');
  const out: HandlerSource[] = [];
  for (const m of body[1]!.matchAll(/^\s*(\w+)\s*:\s*(\w+)\s*,?\s*$/gm)) {
    const [, name, local] = m as unknown as [string, string, string];
    const file = files.get(local);
    if (!file) throw new Error(`functions/index.ts: handler ${name} refers to '${local}', which no import line defines`);
    const entry = join(functionsDir, file);
    const source = readFileSync(entry, 'utf8');
    const typed = /\btask\(\s*'(\w+)'/.exec(source);
    const taskType = (typed?.[1] ?? HANDLER_TASK_TYPES[name]) as TaskType | undefined;
    if (!taskType) throw new Error(`${file}: no task('<type>', ...) call and no entry in HANDLER_TASK_TYPES for ${name}`);
    const limits = TASKS[taskType];
    if (!limits) throw new Error(`${file}: task type '${taskType}' is not in TASKS (shared/jobs/cost.ts)`);
    out.push({ name, entry, taskType, memoryMb: limits.memoryMb, timeoutSeconds: limits.timeoutSeconds });
  }
  if (out.length === 0) throw new Error('functions/index.ts: the handlers object is empty');
  return out;
}

/** Workflows that are infrastructure, not pipelines; everything else in statemachines/ is a pipeline. */
export const INFRA_MACHINES = ['trigger', 'router'] as const;

export interface AslSource {
  /** file name without `.asl.json`: the pipeline name for pipelines */
  stem: string;
  file: string;
  definition: AslDoc;
  /** every `${Name}` placeholder in the file */
  placeholders: string[];
  /** handler names of `${<Name>FunctionArn}` placeholders */
  functions: string[];
  kind: 'pipeline' | 'infra';
}

export type AslDoc = { StartAt: string; States: Record<string, AslStateDoc> };
export type AslStateDoc = Record<string, unknown> & { Type: string; Resource?: string; ItemProcessor?: AslDoc; Iterator?: AslDoc };

export function discoverAsl(dir = STATEMACHINES_DIR): AslSource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const text = readFileSync(file, 'utf8');
      const stem = f.slice(0, -'.asl.json'.length);
      const placeholders = [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]!))].sort();
      const functions = placeholders.filter((p) => p.endsWith('FunctionArn')).map((p) => p.slice(0, -'FunctionArn'.length));
      const kind = (INFRA_MACHINES as readonly string[]).includes(stem) ? 'infra' : 'pipeline';
      return { stem, file, definition: JSON.parse(text) as AslDoc, placeholders, functions, kind };
    });
}

/** Every state of a definition, nested Map processors included. */
export function allStates(m: AslDoc): [string, AslStateDoc][] {
  return Object.entries(m.States).flatMap(([n, s]) => {
    const inner = s.ItemProcessor ?? s.Iterator;
    return [[n, s] as [string, AslStateDoc], ...(inner ? allStates(inner) : [])];
  });
}

/** Map states run in DISTRIBUTED mode (child executions, ItemReader/ResultWriter). */
export function distributedMaps(m: AslDoc): string[] {
  return allStates(m)
    .filter(([, s]) => s.Type === 'Map' && ((s.ItemProcessor as Record<string, unknown> | undefined)?.['ProcessorConfig'] as { Mode?: string } | undefined)?.Mode === 'DISTRIBUTED')
    .map(([n]) => n);
}

/** `PascalCase` of a file stem, for `${<Stem>StateMachineArn}` placeholders. */
export function pascal(stem: string): string {
  return stem
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
