import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATEMACHINE_DIR } from '../runner/asl.ts';
import type { AslMachine, AslState } from '../runner/asl.ts';
import { TASKS } from '../shared/jobs/cost.ts';
import { allStages, MANIFESTS } from '../shared/pipelines/manifests.ts';
import { LAMBDA_RETRY, START_EXECUTION_RETRY, START_EXECUTION_TIMEOUT } from '../shared/runtime/retry.ts';

const files = readdirSync(STATEMACHINE_DIR).filter((f) => f.endsWith('.asl.json'));
const stages = new Map(allStages().map((s) => [s.handler, s]));

function allStates(m: AslMachine): [string, AslState][] {
  return Object.entries(m.States).flatMap(([n, s]) => [[n, s] as [string, AslState], ...(s.ItemProcessor ? allStates(s.ItemProcessor) : [])]);
}

/** `${<Handler>FunctionArn}` of a Lambda task (Resource or Parameters.FunctionName). */
function handlerOf(s: AslState): string | undefined {
  const ref = String((s.Parameters as Record<string, unknown> | undefined)?.FunctionName ?? s.Resource ?? '');
  return /^\$\{(\w+)FunctionArn\}$/.exec(ref)?.[1];
}

describe('ASL task configuration matches the task types (shared/jobs/cost.ts TASKS, shared/runtime/retry.ts)', () => {
  it('every pipeline manifest has its workflow file and every workflow file its manifest (or is infrastructure)', () => {
    const stems = files.map((f) => f.replace('.asl.json', ''));
    for (const m of MANIFESTS) expect(stems, m.name).toContain(m.name);
    expect(stems.filter((s) => !MANIFESTS.some((m) => m.name === s)).sort()).toEqual(['router', 'trigger']);
  });

  describe.each(files)('%s', (file) => {
    const def = JSON.parse(readFileSync(STATEMACHINE_DIR + file, 'utf8')) as AslMachine;
    const tasks = allStates(def).filter(([, s]) => s.Type === 'Task');

    it('each Lambda task: a manifest stage, TimeoutSeconds = its task type\'s timeout, the Lambda retry block', () => {
      for (const [name, s] of tasks) {
        const resource = String(s.Resource ?? '');
        if (resource.startsWith('arn:aws:states:::states:startExecution')) continue;
        const h = handlerOf(s);
        expect(h, `${file} ${name}`).toBeDefined();
        const stage = stages.get(h!);
        expect(stage, `${file} ${name}: ${h} is in no manifest`).toBeDefined();
        expect(s.TimeoutSeconds, `${file} ${name} (${stage!.task})`).toBe(TASKS[stage!.task].timeoutSeconds);
        expect(s.Retry, `${file} ${name}`).toEqual(LAMBDA_RETRY);
      }
    });

    it('each startExecution task: the Step Functions retry block and the start/sync timeout', () => {
      for (const [name, s] of tasks) {
        const resource = String(s.Resource ?? '');
        if (!resource.startsWith('arn:aws:states:::states:startExecution')) continue;
        expect(s.Retry, `${file} ${name}`).toEqual(START_EXECUTION_RETRY);
        expect(s.TimeoutSeconds, `${file} ${name}`).toBe(resource.includes('.sync') ? START_EXECUTION_TIMEOUT.sync : START_EXECUTION_TIMEOUT.start);
      }
    });
  });

  it('the check fails on a drifted timeout (planted)', () => {
    const drifted = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${GlmSlabFunctionArn}' }, TimeoutSeconds: 899, Retry: LAMBDA_RETRY } as unknown as AslState;
    expect(drifted.TimeoutSeconds).not.toBe(TASKS[stages.get(handlerOf(drifted)!)!.task].timeoutSeconds);
  });
});
