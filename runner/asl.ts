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

/** Local stand-ins for the Lambda ARNs, so ARN validation passes. */
export function localSubstitutions(m: AslMachine): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { handler } of taskStates(m)) {
    values[`${handler}FunctionArn`] = `arn:aws:lambda:us-east-1:000000000000:function:neuroburst-${handler}`;
  }
  return values;
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
