/**
 * The reho workflow (statemachines/reho.asl.json, the single source) and the counts derived from
 * its graph. Its group step (GroupRun) starts the glm workflow (statemachines/glm.asl.json): a
 * separate execution with its own history, whose transitions are counted on that file's graph.
 */
import definition from '../../../statemachines/reho.asl.json' with { type: 'json' };
import groupDefinition from '../../../statemachines/glm.asl.json' with { type: 'json' };
import { workflowCounts, type AslGraph, type MapItems, type WorkflowCounts } from '../../jobs/asl-graph.ts';

export const REHO_WORKFLOW = definition as unknown as AslGraph;
/** The workflow GroupRun starts (`${GlmStateMachineArn}`). */
export const GROUP_WORKFLOW = groupDefinition as unknown as AslGraph;

/** Parent events and billed state transitions of one successful run with these Map item counts. */
export function rehoCounts(items: MapItems): WorkflowCounts {
  return workflowCounts(REHO_WORKFLOW, items);
}

/** The same for the group step's glm execution (Map items by the glm workflow's state names). */
export function groupCounts(items: MapItems): WorkflowCounts {
  return workflowCounts(GROUP_WORKFLOW, items);
}
