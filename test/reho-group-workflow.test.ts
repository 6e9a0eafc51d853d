/** reho's group step starts the glm workflow (startExecution.sync:2) instead of carrying a copy of its states. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STATEMACHINE_DIR, localSubstitutions, startExecutionStates, taskStates, type AslMachine } from '../runner/asl.ts';
import { useStore } from '../runner/local.ts';
import { taskEnv } from '../shared/runtime/task.ts';
import { validateJob } from '../shared/pipelines/validate.ts';
import { PIPELINES } from '../shared/pipelines/registry.ts';
import { groupCounts, rehoCounts } from '../shared/pipelines/reho/workflow.ts';
import { glmCounts } from '../shared/pipelines/glm/workflow.ts';
import { expectRejectsNamed } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';

const reho = JSON.parse(readFileSync(join(STATEMACHINE_DIR, 'reho.asl.json'), 'utf8')) as AslMachine;
const glm = JSON.parse(readFileSync(join(STATEMACHINE_DIR, 'glm.asl.json'), 'utf8')) as AslMachine;

describe('reho workflow: the group step is a glm execution', () => {
  it('runs none of the glm handlers itself; GroupRun starts ${GlmStateMachineArn} with the job and embedding GroupSetup wrote, then Reduce', () => {
    expect(taskStates(reho).map((t) => t.handler).filter((h) => h.startsWith('Glm'))).toEqual([]);
    expect(startExecutionStates(reho)).toEqual([{ state: 'GroupRun', resource: 'arn:aws:states:::states:startExecution.sync:2' }]);
    const run = reho.States.GroupRun as unknown as { Parameters: { StateMachineArn: string; Input: Record<string, string> }; Next: string; Catch: { ErrorEquals: string[]; Next: string }[] };
    expect(run.Parameters.StateMachineArn).toBe('${GlmStateMachineArn}');
    expect(run.Parameters.Input).toMatchObject({ 'jobUri.$': '$.group.jobUri', 'embed.$': '$.group.embed' });
    expect((reho.States.GroupSetup as unknown as { Next: string }).Next).toBe('GroupRun');
    expect(run.Next).toBe('Reduce');
    // a failed glm execution has written error.json (its job carries this job's id): not overwritten by RecordFailure
    expect(run.Catch[0]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], Next: 'GroupFailed' });
    expect(reho.States.GroupFailed!.Type).toBe('Fail');
    // the local runner points the placeholder at its stand-in for statemachines/glm.asl.json
    expect(localSubstitutions(reho).GlmStateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:local-glm');
  });

  it("the glm Validate gets the whole execution input ({ jobUri } or { jobUri, embed })", () => {
    expect(glm.States.Validate!.Parameters).toBeUndefined();
  });

  it("counts: the group execution's transitions are the glm workflow's own (glm's counts), reho's no longer include glm states", () => {
    const items = { PrepareSubjects: { items: 8 }, FitSlabs: { items: 3 }, Permute: { items: 4 } };
    expect(groupCounts(items)).toEqual(glmCounts(items));
    const alone = rehoCounts({ WmCsfSignals: { items: 0 }, RehoSlabs: { items: 24 }, SubjectMaps: { items: 8 } });
    // the glm Map names mean nothing to reho's graph
    expect(rehoCounts({ WmCsfSignals: { items: 0 }, RehoSlabs: { items: 24 }, SubjectMaps: { items: 8 }, ...items })).toEqual(alone);
  });
});

describe('Validate with an embedding', () => {
  const dir = tmpDir('nb-embed-');
  useStore({ store: pathToFileURL(dir).href, workPrefix: '.work/', resultsPrefix: '' });
  const env = taskEnv();

  it('refuses an embed that is not { resultsDir, resultKey, report } before reading the job', async () => {
    await expectRejectsNamed(validateJob(env, pathToFileURL(join(dir, 'missing.json')).href, { resultsDir: 'r', resultKey: 'k', report: '../x.html' }), 'InvalidJobSpec', 'embed');
    await expectRejectsNamed(validateJob(env, pathToFileURL(join(dir, 'missing.json')).href, { resultsDir: 'r' }), 'InvalidJobSpec', 'embed');
  });

  it('refuses to embed a pipeline that cannot run as another workflow\'s step', async () => {
    writeFileSync(join(dir, 'foci.txt'), 'Reference=MNI\n// s1\n// Subjects=10\n0 0 0\n');
    const job = join(dir, 'ale.json');
    writeFileSync(job, JSON.stringify({ jobId: 'e1', pipeline: 'ale', inputs: { coordinates: 'foci.txt' }, params: {} }));
    expect(PIPELINES.ale!.validateEmbedded).toBeUndefined();
    await expectRejectsNamed(validateJob(env, pathToFileURL(job).href, { resultsDir: 'r', resultKey: 'k.json', report: 'g.html' }), 'InvalidJobSpec', { input: 'embed', message: /ale job cannot run as another workflow's step/ });
  });

  it("reho's Validate still refuses a group design that cannot be fitted (the registry's glm check) before reading any func image", async () => {
    writeFileSync(join(dir, 'p.tsv'), 'participant_id\tgroup\tage\tfunc\ns1\tA\t30\tnone1.nii.gz\ns2\tB\t31\tnone2.nii.gz\ns3\tA\t32\tnone3.nii.gz\ns4\tB\t33\tnone4.nii.gz\n');
    const job = { jobId: 'r1', pipeline: 'reho', inputs: { participants: 'p.tsv' }, params: { preprocess: false, group: { contrasts: ['A-C'] } } };
    const parsed = PIPELINES.reho!.jobSchema.parse(job);
    const err = await PIPELINES.reho!.validate(env, parsed as never, pathToFileURL(join(dir, 'r1.json')).href).then(() => undefined, (e: Error) => e);
    // the design error, not the missing func images (read later)
    expect(err?.name).toBe('InvalidJobSpec');
    expect(err?.message).toMatch(/contrast "A-C" names group "C"; groups are A, B/);
    // and the group block is normalised by the glm params schema (defaults filled, unknown keys refused)
    expect((parsed as { params: { group: { inference: { grf: { voxelP: number } } } } }).params.group.inference.grf.voxelP).toBe(0.005);
    expect(PIPELINES.reho!.jobSchema.safeParse({ ...job, params: { group: { contrasts: ['A-B'], bogus: 1 } } }).success).toBe(false);
  });
});
