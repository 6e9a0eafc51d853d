/** The glm workflow (statemachines/glm.asl.json, the single source) and the counts derived from its graph. */
import definition from '../../../statemachines/glm.asl.json' with { type: 'json' };
import { workflowCounts, type AslGraph, type MapItems, type WorkflowCounts } from '../../jobs/asl-graph.ts';

export const GLM_WORKFLOW = definition as unknown as AslGraph;

/** Parent events and billed state transitions of one successful run with these Map item counts. */
export function glmCounts(items: MapItems): WorkflowCounts {
  return workflowCounts(GLM_WORKFLOW, items);
}
