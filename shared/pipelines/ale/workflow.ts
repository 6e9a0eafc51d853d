/** The ale workflow (statemachines/ale.asl.json, the single source) and the counts derived from its graph. */
import definition from '../../../statemachines/ale.asl.json' with { type: 'json' };
import { workflowCounts, type AslGraph, type MapItems, type WorkflowCounts } from '../../jobs/asl-graph.ts';

export const ALE_WORKFLOW = definition as unknown as AslGraph;

/** Parent events and billed state transitions of one successful run with these Map item counts. */
export function aleCounts(items: MapItems): WorkflowCounts {
  return workflowCounts(ALE_WORKFLOW, items);
}
