/** The netmap workflow (statemachines/netmap.asl.json, the single source) and the counts derived from its graph. */
import definition from '../../../statemachines/netmap.asl.json' with { type: 'json' };
import { workflowCounts, type AslGraph, type MapItems, type WorkflowCounts } from '../../jobs/asl-graph.ts';

export const NETMAP_WORKFLOW = definition as unknown as AslGraph;

/** Parent events and billed state transitions of one successful run with these Map item counts. */
export function netmapCounts(items: MapItems): WorkflowCounts {
  return workflowCounts(NETMAP_WORKFLOW, items);
}
