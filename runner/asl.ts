import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type AslState = Record<string, unknown> & { Type: string; Resource?: string; ItemProcessor?: AslMachine; Iterator?: AslMachine };
export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
}

export const STATEMACHINE_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

export function loadAsl(pipeline: string): AslMachine {
  return JSON.parse(readFileSync(`${STATEMACHINE_DIR}${pipeline}.asl.json`, 'utf8')) as AslMachine;
}

const PLACEHOLDER = /^\$\{([A-Za-z0-9]+)FunctionArn\}$/;

/** Every Task state (nested Map processors included) with the handler name of its `${<Name>FunctionArn}` placeholder. */
export function taskStates(m: AslMachine): { state: string; handler: string }[] {
  const out: { state: string; handler: string }[] = [];
  for (const [name, s] of Object.entries(m.States)) {
    if (s.Type === 'Task' && typeof s.Resource === 'string') {
      const hit = PLACEHOLDER.exec(s.Resource);
      if (hit) out.push({ state: name, handler: hit[1]! });
    }
    const inner = s.ItemProcessor ?? s.Iterator;
    if (inner) out.push(...taskStates(inner));
  }
  return out;
}

/** Replace `${...}` placeholders (DefinitionSubstitutions) the way CloudFormation does. */
export function substitute(m: AslMachine, values: Record<string, string>): AslMachine {
  const text = JSON.stringify(m).replace(/\$\{([A-Za-z0-9]+)\}/g, (all, key: string) => values[key] ?? all);
  return JSON.parse(text) as AslMachine;
}

/** ARN prefix of the local stand-ins for the stack's state machines: `<prefix><file stem>`. */
export const LOCAL_MACHINE_ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000:stateMachine:local-';

/** Local stand-ins for the Lambda ARNs and for `${<Stem>StateMachineArn}` (another workflow file), so ARN validation passes. */
export function localSubstitutions(m: AslMachine): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { handler } of taskStates(m)) {
    values[`${handler}FunctionArn`] = `arn:aws:lambda:us-east-1:000000000000:function:neuroburst-${handler}`;
  }
  for (const [, stem] of JSON.stringify(m).matchAll(/\$\{([A-Za-z0-9]+)StateMachineArn\}/g)) {
    values[`${stem}StateMachineArn`] = LOCAL_MACHINE_ARN_PREFIX + stem!.replace(/(?<!^)[A-Z]/g, (c) => `-${c}`).toLowerCase();
  }
  return values;
}

/** Task states that start another workflow (`arn:aws:states:::states:startExecution[.sync[:2]]`), nested Map processors included. */
export function startExecutionStates(m: AslMachine): { state: string; resource: string }[] {
  const out: { state: string; resource: string }[] = [];
  for (const [name, s] of Object.entries(m.States)) {
    if (s.Type === 'Task' && typeof s.Resource === 'string' && s.Resource.startsWith('arn:aws:states:::states:startExecution')) out.push({ state: name, resource: s.Resource });
    const inner = s.ItemProcessor ?? s.Iterator;
    if (inner) out.push(...startExecutionStates(inner));
  }
  return out;
}

/** Map states (nested included) with their ItemsPath. */
export function mapStates(m: AslMachine): { state: string; itemsPath: string }[] {
  const out: { state: string; itemsPath: string }[] = [];
  for (const [name, s] of Object.entries(m.States)) {
    if (s.Type === 'Map') out.push({ state: name, itemsPath: String(s.ItemsPath ?? '$') });
    const inner = s.ItemProcessor ?? s.Iterator;
    if (inner) out.push(...mapStates(inner));
  }
  return out;
}
