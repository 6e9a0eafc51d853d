/** The transcriptomics workflow (statemachines/transcriptomics.asl.json, the single source) and the counts derived from its graph. */
import definition from '../../../statemachines/transcriptomics.asl.json' with { type: 'json' };
import { workflowCounts, type AslGraph, type WorkflowCounts } from '../../jobs/asl-graph.ts';

export const TX_WORKFLOW = definition as unknown as AslGraph;

/** Parent events and billed state transitions of one successful run with this many null and candidate-spin batches. */
export function txCounts(nullBatches: number, spinBatches: number): WorkflowCounts {
  return workflowCounts(TX_WORKFLOW, { Spins: { items: spinBatches }, Nulls: { items: nullBatches } });
}
