/**
 * Counts derived from a workflow's ASL graph (the single source of the workflow) and the
 * item counts of its Maps: the parent execution's history events (Step Functions caps a
 * Standard execution at 25,000) and the billed state transitions of the whole run (parent,
 * inline iterations and Distributed Map child executions). Pure: the caller passes the parsed
 * definition.
 */

export interface AslGraph {
  StartAt: string;
  States: Record<string, AslNode>;
}

export interface AslNode {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  ItemProcessor?: AslGraph & { ProcessorConfig?: { Mode?: string } };
  Iterator?: AslGraph;
  [k: string]: unknown;
}

/** Step Functions quotas the fan-out is designed against. */
export const QUOTAS = {
  /** events in one execution's history */
  historyEvents: 25_000,
  /** concurrent iterations of an inline Map */
  inlineMapConcurrency: 40,
  /** concurrent child executions of a Distributed Map */
  distributedMapConcurrency: 10_000,
} as const;

/** History events per state, as Step Functions writes them (entered/exited plus the task's scheduled/started/succeeded). */
const EVENTS = { Task: 5, Map: 4, DistributedMap: 6, other: 2, execution: 2, iteration: 2 } as const;

export type MapMode = 'INLINE' | 'DISTRIBUTED';

export function mapMode(s: AslNode): MapMode {
  return s.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED' ? 'DISTRIBUTED' : 'INLINE';
}

/** Every Map state of a definition (nested ones included) with its mode. */
export function mapStates(def: AslGraph): { name: string; mode: MapMode }[] {
  return Object.entries(def.States).flatMap(([name, s]) => {
    const inner = s.ItemProcessor ?? s.Iterator;
    return [...(s.Type === 'Map' ? [{ name, mode: mapMode(s) }] : []), ...(inner ? mapStates(inner) : [])];
  });
}

/** The states a successful run passes through: from StartAt along Next, Default and every Choice (each state once; failure handlers excluded). */
function successPath(def: AslGraph): string[] {
  const seen = new Set<string>();
  const stack = [def.StartAt];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || !def.States[n]) continue;
    const s = def.States[n]!;
    if (s.Type === 'Fail') continue;
    seen.add(n);
    for (const next of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next)]) if (next) stack.push(next);
  }
  return [...seen];
}

/** Items of each Map (state name → item count, and items per child for a Distributed Map's ItemBatcher); a Map with 0 items is skipped. */
export type MapItems = Record<string, { items: number; itemsPerWorker?: number }>;

export interface WorkflowCounts {
  /** events in the parent execution's history (a Distributed Map's children have their own histories) */
  parentEvents: number;
  /** billed state transitions: parent, inline iterations and every child execution */
  stateTransitions: number;
  /** the largest child execution's history */
  maxChildEvents: number;
}

function countGraph(def: AslGraph, items: MapItems, states = successPath(def)): WorkflowCounts {
  let events = EVENTS.execution;
  let transitions = 0;
  let maxChild = 0;
  for (const name of states) {
    const s = def.States[name]!;
    if (s.Type !== 'Map') {
      events += s.Type === 'Task' ? EVENTS.Task : EVENTS.other;
      transitions += 1;
      continue;
    }
    const inner = (s.ItemProcessor ?? s.Iterator)!;
    const spec = items[name];
    if (!spec) throw new Error(`Map ${name}: no item count given`);
    if (spec.items === 0) continue; // skipped by its Choice
    const per = countGraph(inner, items);
    transitions += 1;
    if (mapMode(s) === 'DISTRIBUTED') {
      const children = Math.ceil(spec.items / Math.max(1, spec.itemsPerWorker ?? 1));
      events += EVENTS.DistributedMap;
      transitions += children * per.stateTransitions;
      maxChild = Math.max(maxChild, per.parentEvents, per.maxChildEvents);
    } else {
      events += EVENTS.Map + spec.items * (EVENTS.iteration + per.parentEvents - EVENTS.execution);
      transitions += spec.items * per.stateTransitions;
      maxChild = Math.max(maxChild, per.maxChildEvents);
    }
  }
  return { parentEvents: events, stateTransitions: transitions, maxChildEvents: maxChild };
}

/** Counts of one successful run of `def` with the given Map item counts. */
export function workflowCounts(def: AslGraph, items: MapItems): WorkflowCounts {
  return countGraph(def, items);
}

/** Concurrency a Map really gets: the job's limit, capped by the Map kind's quota. */
export function mapConcurrency(mode: MapMode, maxConcurrency: number): number {
  return Math.max(1, Math.min(maxConcurrency, mode === 'DISTRIBUTED' ? QUOTAS.distributedMapConcurrency : QUOTAS.inlineMapConcurrency));
}
