/** Cost per stage of a run from the task metrics a reducer reads (one record per invocation). */
import { actualCost } from '../jobs/cost.ts';
import type { TaskType } from '../jobs/cost.ts';
import type { StageCost } from './types.ts';

/** One row per task type in first-seen order: invocations, billed seconds and Lambda cost (state transitions excluded). */
export function stagesFromMetrics(metrics: { task: TaskType; billedMs: number }[]): StageCost[] {
  const by = new Map<TaskType, { task: TaskType; billedMs: number }[]>();
  for (const m of metrics) {
    const list = by.get(m.task) ?? [];
    list.push(m);
    by.set(m.task, list);
  }
  return [...by].map(([task, list]) => ({ stage: task, shards: list.length, billedSeconds: list.reduce((a, m) => a + m.billedMs, 0) / 1000, usd: actualCost(list, 0).usd }));
}
