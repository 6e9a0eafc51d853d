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
import { allStages } from '../shared/pipelines/manifests.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');
export const STATEMACHINES_DIR = join(REPO_ROOT, 'statemachines');

/**
 * Task type of handlers that do not go through `task(type, ...)` (their source names
 * no task type). Every other handler's type is read from its `task('<type>', ...)` call.
 */
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
 * Every handler of the pipeline manifests (shared/pipelines/manifests.ts) with its memory and
 * timeout from TASKS. The task type a module reports its metrics under (`task('<type>', …)`)
 * must be the manifest's.
 */
export function discoverHandlers(root = REPO_ROOT): HandlerSource[] {
  return allStages().map((s) => {
    const entry = join(root, s.entry);
    const typed = /\btask\(\s*'(\w+)'/.exec(readFileSync(entry, 'utf8'));
    if (typed && typed[1] !== s.task) throw new Error(`${s.entry}: reports task type '${typed[1]}' but its manifest says '${s.task}'`);
    const limits = TASKS[s.task];
    if (!limits) throw new Error(`${s.entry}: task type '${s.task}' is not in TASKS (shared/jobs/cost.ts)`);
    return { name: s.handler, entry, taskType: s.task, memoryMb: limits.memoryMb, timeoutSeconds: limits.timeoutSeconds };
  });
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
