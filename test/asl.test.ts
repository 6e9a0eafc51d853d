import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { handlers } from '../functions/index.ts';
import { localSubstitutions, mapStates, STATEMACHINE_DIR, substitute, taskStates } from '../runner/asl.ts';
import type { AslMachine, AslState } from '../runner/asl.ts';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };

const files = readdirSync(STATEMACHINE_DIR).filter((f) => f.endsWith('.asl.json'));

function allStates(m: AslMachine): [string, AslState][] {
  return Object.entries(m.States).flatMap(([n, s]) => [[n, s] as [string, AslState], ...(s.ItemProcessor ? allStates(s.ItemProcessor) : [])]);
}

describe('state machine definitions', () => {
  it('there is at least the glm workflow', () => {
    expect(files).toContain('glm.asl.json');
  });

  describe.each(files)('%s', (file) => {
    const def = JSON.parse(readFileSync(STATEMACHINE_DIR + file, 'utf8')) as AslMachine;

    it('passes asl-validator as written (with CDK placeholders) and after substitution', () => {
      const raw = aslValidator(def);
      expect(raw.isValid, raw.errorsText('\n')).toBe(true);
      const sub = aslValidator(substitute(def, localSubstitutions(def)));
      expect(sub.isValid, sub.errorsText('\n')).toBe(true);
    });

    it('binds every Task to a handler and gives it a timeout and retries', () => {
      const tasks = taskStates(def);
      expect(tasks.length).toBeGreaterThan(0);
      for (const { state, handler } of tasks) {
        expect(handlers[handler], `${state} -> ${handler}`).toBeTypeOf('function');
      }
      for (const [name, s] of allStates(def)) {
        if (s.Type !== 'Task') continue;
        expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
        expect(Array.isArray(s.Retry) && s.Retry.length > 0, name).toBe(true);
      }
    });

    it('routes every top-level failure to RecordFailure and a Fail state', () => {
      for (const [name, s] of Object.entries(def.States)) {
        if ((s.Type === 'Task' || s.Type === 'Map') && name !== 'RecordFailure') {
          const c = s.Catch as { ErrorEquals: string[]; Next: string }[] | undefined;
          expect(c?.some((x) => x.ErrorEquals.includes('States.ALL') && x.Next === 'RecordFailure'), name).toBe(true);
        }
      }
      expect(def.States.RecordFailure?.Next).toBe('Failed');
      expect(def.States.Failed?.Type).toBe('Fail');
    });

    it('keeps payloads small: Map states discard iteration outputs and use JSONPath mode', () => {
      for (const m of mapStates(def)) {
        const s = def.States[m.state]!;
        expect(s.ResultPath, m.state).toBeNull();
        expect(s.MaxConcurrencyPath ?? s.MaxConcurrency, m.state).toBeDefined();
      }
      expect(JSON.stringify(def)).not.toContain('JSONata');
    });
  });
});
