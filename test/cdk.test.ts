/**
 * Assertions on the synthesised CloudFormation template of the neuroburst stack (bundling
 * skipped via `aws:cdk:bundling-stacks: []`; the real `cdk synth` with bundling runs in
 * cdk-synth-cli.test.ts), and cdk-nag AwsSolutions with zero unacknowledged findings.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../functions/index.ts';
import { TASKS } from '../shared/jobs/cost.ts';
import { PIPELINES } from '../shared/pipelines/registry.ts';
import { NeuroburstStack, settingsFromContext } from '../lib/stack.ts';
import { BUNDLED_ASSET_DIRS, LAMBDA_ASSETS_DIR } from '../lib/compute.ts';
import type { NeuroburstSettings } from '../lib/stack.ts';
import { allStates, discoverAsl, discoverHandlers, distributedMaps, REPO_ROOT } from '../lib/sources.ts';
import type { AslSource, HandlerSource } from '../lib/sources.ts';

import { tmpDir } from './helpers/tmp.ts';

const CDK_CONTEXT = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

type Resource = { Type: string; Properties: Record<string, unknown> };

function synth(opts: { settings?: NeuroburstSettings; asl?: AslSource[]; handlers?: HandlerSource[]; nag?: boolean } = {}) {
  const outdir = tmpDir('neuroburst-cdk-');
  const app = new App({ outdir, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new NeuroburstStack(app, 'Neuroburst', { settings: opts.settings, asl: opts.asl, handlers: opts.handlers });
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackByName('Neuroburst').template as Record<string, unknown>);
  return { stack, template, outdir };
}

function resources(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.findResources(type)) as [string, Resource][];
}

/** Every IAM statement of every policy (inline role policies included). */
function statements(t: Template): { where: string; Action: string | string[]; Resource: unknown }[] {
  const out: { where: string; Action: string | string[]; Resource: unknown }[] = [];
  for (const [id, r] of resources(t, 'AWS::IAM::Policy')) {
    for (const s of (r.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement) out.push({ where: id, ...s });
  }
  for (const [id, r] of resources(t, 'AWS::IAM::Role')) {
    for (const p of (r.Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[] | undefined) ?? []) {
      for (const s of p.PolicyDocument.Statement) out.push({ where: id, ...s });
    }
  }
  return out;
}

const asArray = <T,>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

let template: Template;
let mainOutdir = '';
let outdirs: string[] = [];

/** The definition a state machine deploys: DefinitionBody.fromFile stages the file as an asset. */
function definitionOf(machine: Resource, outdir: string): string {
  const loc = machine.Properties.DefinitionS3Location as { Key: string } | undefined;
  if (!loc) return String(machine.Properties.DefinitionString);
  return readFileSync(join(outdir, `asset.${loc.Key}`), 'utf8');
}
const asl = discoverAsl();

beforeAll(() => {
  const s = synth();
  template = s.template;
  mainOutdir = s.outdir;
  outdirs.push(s.outdir);
});
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
  outdirs = [];
});

describe('sources', () => {
  it('finds every handler of functions/index.ts with a task type of TASKS', () => {
    const found = discoverHandlers();
    expect(found.map((h) => h.name).sort()).toEqual(Object.keys(handlers).sort());
    for (const h of found) {
      expect(TASKS[h.taskType], h.name).toBeDefined();
      expect(h.memoryMb).toBe(TASKS[h.taskType].memoryMb);
    }
    expect(found.find((h) => h.name === 'Validate')?.taskType).toBe('validate');
    expect(found.find((h) => h.name === 'RecordFailure')?.taskType).toBe('recordFailure');
  });

  it('has one pipeline workflow per registered pipeline, plus the trigger and router', () => {
    expect(asl.filter((a) => a.kind === 'pipeline').map((a) => a.stem).sort()).toEqual(Object.keys(PIPELINES).sort());
    expect(asl.filter((a) => a.kind === 'infra').map((a) => a.stem).sort()).toEqual(['router', 'trigger']);
  });
});

describe('storage', () => {
  it('makes every bucket private, encrypted and TLS-only', () => {
    const buckets = resources(template, 'AWS::S3::Bucket');
    expect(buckets.length).toBe(3);
    for (const [id, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const enc = b.Properties.BucketEncryption as { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string } }[] };
      expect(['AES256', 'aws:kms'], id).toContain(enc.ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault.SSEAlgorithm);
      const policy = resources(template, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }));
      expect(policy, `${id} has a bucket policy`).toBeDefined();
      const denies = (policy![1].Properties.PolicyDocument as { Statement: { Effect: string; Action: string; Condition?: Record<string, Record<string, unknown>> }[] }).Statement.filter(
        (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      );
      expect(denies.length, `${id} denies plain HTTP`).toBe(1);
    }
  });

  it('versions the input bucket, sends its events to EventBridge and logs access of both data buckets', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'input/' },
    });
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'results/' } });
    template.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: { EventBridgeConfiguration: {} } });
  });

  it('expires work/ intermediates and keeps results/', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'work/', ExpirationInDays: 14, Status: 'Enabled' })]) },
    });
    const rules = resources(template, 'AWS::S3::Bucket').flatMap(([, b]) => (b.Properties.LifecycleConfiguration as { Rules: { Prefix?: string }[] } | undefined)?.Rules ?? []);
    expect(rules.some((r) => r.Prefix === 'results/')).toBe(false);
  });
});

describe('compute', () => {
  it('deploys one arm64 Node 22 function per handler with memory and timeout of its task type', () => {
    const fns = resources(template, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Compute'));
    const expected = discoverHandlers();
    expect(fns.length).toBe(expected.length);
    for (const h of expected) {
      const hit = fns.find(([id]) => new RegExp(`^Compute${h.name}[0-9A-F]{8}$`).test(id));
      expect(hit, h.name).toBeDefined();
      const p = hit![1].Properties;
      expect(p.Runtime, h.name).toBe('nodejs22.x');
      expect(p.Architectures, h.name).toEqual(['arm64']);
      expect(p.MemorySize, h.name).toBe(TASKS[h.taskType].memoryMb);
      expect(p.Timeout, h.name).toBe(TASKS[h.taskType].timeoutSeconds);
      expect(p.Handler, h.name).toBe('index.handler');
      expect(p.TracingConfig, h.name).toEqual({ Mode: 'Active' });
      const env = (p.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(JSON.stringify(env.NEUROBURST_STORE)).toMatch(/"Ref":"StorageResults[0-9A-F]{8}"/);
    }
  });

  it('ships assets/ale with every function and points NEUROBURST_ASSETS_DIR at it; the ALE default mask resolves in both layouts', async () => {
    for (const [id, f] of resources(template, 'AWS::Lambda::Function').filter(([i]) => i.startsWith('Compute'))) {
      expect((f.Properties.Environment as { Variables: Record<string, unknown> }).Variables.NEUROBURST_ASSETS_DIR, id).toBe(LAMBDA_ASSETS_DIR);
    }
    expect(BUNDLED_ASSET_DIRS).toContain('assets/ale');
    const maskUri = async (env: NodeJS.ProcessEnv) => {
      const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', "import('./shared/pipelines/ale/context.ts').then((m) => console.log(m.DEFAULT_MASK_URI))"], { cwd: REPO_ROOT, env });
      return r.stdout.trim();
    };
    const repo = { ...process.env };
    delete repo.NEUROBURST_ASSETS_DIR;
    const inRepo = await maskUri(repo);
    expect(inRepo).toBe(pathToFileURL(join(REPO_ROOT, 'assets', 'ale', 'MNI152_2x2x2_brainmask.nii.gz')).href);
    expect(existsSync(fileURLToPath(inRepo))).toBe(true);
    // the bundle layout: <task root>/index.mjs + <task root>/assets/ale/...
    const taskRoot = tmpDir('neuroburst-taskroot-');
    outdirs.push(taskRoot);
    cpSync(join(REPO_ROOT, 'assets', 'ale'), join(taskRoot, 'assets', 'ale'), { recursive: true });
    const inBundle = await maskUri({ ...repo, NEUROBURST_ASSETS_DIR: join(taskRoot, 'assets') });
    expect(inBundle).toBe(pathToFileURL(join(taskRoot, 'assets', 'ale', 'MNI152_2x2x2_brainmask.nii.gz')).href);
    expect(existsSync(fileURLToPath(inBundle))).toBe(true);
  }, 60_000);

  it('lets workers read inputs and write only work/ and results/ of the results bucket', () => {
    const validatePolicy = resources(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ComputeValidateRole'))!;
    const st = (validatePolicy[1].Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    const writes = st.filter((s) => asArray(s.Action).some((a) => a === 's3:PutObject' || a === 's3:DeleteObject'));
    expect(writes.length).toBe(1);
    const targets = JSON.stringify(writes[0]!.Resource);
    expect(targets).toContain('/work/*');
    expect(targets).toContain('/results/*');
    expect(targets).not.toContain('StorageInput');
    expect(JSON.stringify(asArray(writes[0]!.Resource).map(String))).not.toMatch(/"\*"/);
  });
});

describe('workflows', () => {
  const machines = () => resources(template, 'AWS::StepFunctions::StateMachine');
  const byName = (stem: string) => machines().find(([, m]) => m.Properties.StateMachineName === `Neuroburst-${stem}`)!;

  it('builds one state machine per ASL file, its definition the file itself', () => {
    expect(machines().length).toBe(asl.length);
    for (const a of asl) {
      const m = byName(a.stem);
      expect(m, a.stem).toBeDefined();
      expect(m[1].Properties.DefinitionString, a.stem).toBeUndefined();
      expect(definitionOf(m[1], mainOutdir), a.stem).toBe(readFileSync(a.file, 'utf8'));
      expect(m[1].Properties.TracingConfiguration, a.stem).toEqual({ Enabled: true });
      expect((m[1].Properties.LoggingConfiguration as { Level: string; IncludeExecutionData: boolean }).Level, a.stem).toBe('ALL');
    }
    expect(byName('trigger')[1].Properties.StateMachineType).toBe('EXPRESS');
    expect(byName('router')[1].Properties.StateMachineType).toBe('STANDARD');
  });

  it('resolves every Task resource of every ASL to a function of the stack or a workflow it may start', () => {
    const fnIds = new Set(resources(template, 'AWS::Lambda::Function').map(([id]) => id));
    for (const a of asl) {
      const subs = byName(a.stem)[1].Properties.DefinitionSubstitutions as Record<string, unknown>;
      for (const [state, s] of allStates(a.definition)) {
        if (s.Type !== 'Task') continue;
        const hit = /^\$\{([A-Za-z0-9]+)FunctionArn\}$/.exec(String(s.Resource));
        if (hit) {
          const value = subs[`${hit[1]}FunctionArn`] as { 'Fn::GetAtt': [string, string] } | undefined;
          expect(value, `${a.stem}.${state}`).toBeDefined();
          expect(value!['Fn::GetAtt'][1]).toBe('Arn');
          const target = value!['Fn::GetAtt'][0];
          expect(fnIds.has(target), `${a.stem}.${state} -> ${target}`).toBe(true);
          expect(target).toMatch(new RegExp(`^Compute${hit[1]}[0-9A-F]{8}$`));
        } else {
          expect(String(s.Resource), `${a.stem}.${state}`).toMatch(/^arn:aws:states:::states:startExecution(\.sync:2)?$/);
        }
      }
      for (const p of a.placeholders) expect(subs[p], `${a.stem}: \${${p}}`).toBeDefined();
    }
  });

  it('grants lambda:InvokeFunction on exactly the functions each workflow uses', () => {
    const policies = resources(template, 'AWS::IAM::Policy');
    for (const a of asl) {
      const roleRef = (byName(a.stem)[1].Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const policy = policies.find(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleRef }]))!;
      const st = (policy[1].Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
      const invoked = st
        .filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'))
        .flatMap((s) => asArray(s.Resource as { 'Fn::GetAtt': [string, string] }))
        .map((r) => r['Fn::GetAtt'][0].replace(/^Compute|[0-9A-F]{8}$/g, ''));
      expect(invoked.sort(), a.stem).toEqual([...a.functions].sort());
    }
  });

  it('lets the router start and follow exactly the pipeline workflows, and the trigger start only the router', () => {
    const policies = resources(template, 'AWS::IAM::Policy');
    const stmts = (stem: string) => {
      const roleRef = (byName(stem)[1].Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      return (policies.find(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleRef }]))![1].Properties.PolicyDocument as {
        Statement: { Action: string | string[]; Resource: unknown }[];
      }).Statement;
    };
    const names = (s: { Resource: unknown }) => asArray(s.Resource).map((r) => JSON.stringify(r).match(/(?:stateMachine|execution):Neuroburst-([a-z0-9-]+)/)?.[1]);
    const routerStart = stmts('router').filter((s) => asArray(s.Action).includes('states:StartExecution'));
    expect(routerStart.flatMap(names).sort()).toEqual(Object.keys(PIPELINES).sort());
    const follow = stmts('router').filter((s) => asArray(s.Action).includes('states:DescribeExecution'));
    expect(follow.flatMap(names).sort()).toEqual(Object.keys(PIPELINES).sort());
    expect(stmts('router').some((s) => asArray(s.Action).includes('events:PutRule'))).toBe(true);
    const triggerStart = stmts('trigger').filter((s) => asArray(s.Action).includes('states:StartExecution'));
    expect(triggerStart.flatMap(names)).toEqual(['router']);
  });

  it('lets reho start and follow exactly the glm workflow (its group step, startExecution.sync:2), with the managed events rule .sync needs', () => {
    const policies = resources(template, 'AWS::IAM::Policy');
    const roleRef = (byName('reho')[1].Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const st = (policies.find(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleRef }]))![1].Properties.PolicyDocument as {
      Statement: { Sid?: string; Action: string | string[]; Resource: unknown }[];
    }).Statement;
    const bySid = (sid: string) => st.find((s) => s.Sid === sid);
    const machines = (s: { Resource: unknown } | undefined) => asArray(s?.Resource).map((r) => JSON.stringify(r).match(/(?:stateMachine|execution):Neuroburst-([a-z0-9-]+)/)?.[1]);
    expect(asArray(bySid('StartWorkflows')?.Action)).toEqual(['states:StartExecution']);
    expect(machines(bySid('StartWorkflows'))).toEqual(['glm']);
    expect(asArray(bySid('FollowStartedWorkflows')?.Action).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(machines(bySid('FollowStartedWorkflows'))).toEqual(['glm']);
    expect(JSON.stringify(bySid('FollowStartedWorkflows')?.Resource)).toMatch(/:execution:Neuroburst-glm:\*/);
    expect(asArray(bySid('SyncCompletionEvents')?.Action).sort()).toEqual(['events:DescribeRule', 'events:PutRule', 'events:PutTargets']);
    expect(JSON.stringify(bySid('SyncCompletionEvents')?.Resource)).toMatch(/rule\/StepFunctionsGetEventsForStepFunctionsExecutionRule/);
    // the glm machine's ARN is substituted into GroupRun, and the glm functions are no longer reho's to invoke
    const subs = byName('reho')[1].Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(JSON.stringify(subs.GlmStateMachineArn)).toMatch(/stateMachine:Neuroburst-glm/);
    expect(Object.keys(subs).filter((k) => /^Glm.*FunctionArn$/.test(k))).toEqual([]);
  });

  it('handles a DISTRIBUTED Map generically (test/fixtures/distributed.asl.json): child executions of its own machine, ItemReader/ResultWriter I/O under work/, no wildcard actions, cdk-nag clean', () => {
    const dir = tmpDir('neuroburst-asl-');
    outdirs.push(dir);
    writeFileSync(join(dir, 'distributed.asl.json'), readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'distributed.asl.json')));
    const fixture = discoverAsl(dir);
    expect(distributedMaps(fixture[0]!.definition)).toEqual(['Shards']);
    // the fixture's test handlers, deployed from an existing entry file (bundling is skipped here)
    const base = discoverHandlers();
    const slab = base.find((h) => h.name === 'GlmSlab')!;
    const handlers = [...base, ...['DmPlan', 'DmWork', 'DmReduce'].map((name) => ({ ...slab, name }))];
    const { template: t, outdir } = synth({ asl: [...asl, ...fixture], handlers, nag: true });
    outdirs.push(outdir);
    const all = [...asl, ...fixture].filter((a) => distributedMaps(a.definition).length > 0);
    expect(all.map((a) => a.stem)).toContain('distributed');
    for (const a of all) {
      const m = resources(t, 'AWS::StepFunctions::StateMachine').find(([, x]) => x.Properties.StateMachineName === `Neuroburst-${a.stem}`)!;
      expect(definitionOf(m[1], outdir)).toBe(readFileSync(a.file, 'utf8'));
      expect(JSON.stringify((m[1].Properties.DefinitionSubstitutions as Record<string, unknown>).ResultsBucketName)).toMatch(/"Ref":"StorageResults[0-9A-F]{8}"/);
      const roleRef = (m[1].Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const st = statements(t).filter((s) => s.where.startsWith(roleRef.replace(/[0-9A-F]{8}$/, '')));
      for (const s of st) for (const action of asArray(s.Action)) expect(action, `${a.stem}: ${action}`).not.toMatch(/\*/);
      const on = (action: string) => st.filter((s) => asArray(s.Action).includes(action)).map((s) => JSON.stringify(s.Resource));
      // the Map Run starts, describes and stops child executions of this very machine
      expect(on('states:StartExecution').join(), a.stem).toContain(`:stateMachine:Neuroburst-${a.stem}"`);
      for (const action of ['states:DescribeExecution', 'states:StopExecution']) {
        // (a workflow that also starts another one with .sync follows those executions too: checked below)
        const targets = on(action).filter((r) => r.includes(`:execution:Neuroburst-${a.stem}/`));
        expect(targets.length, `${a.stem} ${action}`).toBe(1);
        expect(targets[0]).toMatch(new RegExp(`:execution:Neuroburst-${a.stem}/\\*"\\]\\]\\}$`));
      }
      // ItemReader (GetObject) and ResultWriter (PutObject) on the results bucket's work/ prefix only
      for (const action of ['s3:GetObject', 's3:PutObject']) {
        const targets = on(action);
        expect(targets.length, `${a.stem} ${action}`).toBe(1);
        expect(targets[0]).toMatch(/^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StorageResults[0-9A-F]{8}","Arn"\]\},"\/work\/\*"\]\]\}$/);
      }
    }
    // pipelines without a Distributed Map get none of this
    for (const a of asl.filter((x) => distributedMaps(x.definition).length === 0 && x.kind === 'pipeline')) {
      const m = resources(t, 'AWS::StepFunctions::StateMachine').find(([, x]) => x.Properties.StateMachineName === `Neuroburst-${a.stem}`)!;
      const roleRef = (m[1].Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const st = statements(t).filter((s) => s.where.startsWith(roleRef.replace(/[0-9A-F]{8}$/, '')));
      expect(st.some((s) => asArray(s.Action).includes('s3:PutObject')), a.stem).toBe(false);
    }
  });

  it('turns on the Distributed Map ResultWriter V2 feature flag in cdk.json', () => {
    expect(CDK_CONTEXT['@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2']).toBe(true);
  });
});

describe('trigger', () => {
  it('starts the trigger workflow on Object Created for jobs/*/job.json in the input bucket, with bucket, key, version and etag', () => {
    const rules = resources(template, 'AWS::Events::Rule');
    expect(rules.length).toBe(1);
    const p = rules[0]![1].Properties as {
      EventPattern: Record<string, unknown>;
      Targets: { Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
    };
    expect(p.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: expect.stringMatching(/^StorageInput[0-9A-F]{8}$/) }] }, object: { key: [{ wildcard: 'jobs/*/job.json' }] } },
    });
    expect(JSON.stringify(p.Targets[0]!.Arn)).toMatch(/"Ref":"WorkflowsTrigger[0-9A-F]{8}"/);
    const paths = Object.values(p.Targets[0]!.InputTransformer.InputPathsMap).sort();
    expect(paths).toEqual(['$.detail.bucket.name', '$.detail.object.etag', '$.detail.object.key', '$.detail.object.version-id']);
    for (const field of ['bucket', 'key', 'versionId', 'etag']) expect(p.Targets[0]!.InputTransformer.InputTemplate).toContain(`"${field}":<`);
  });
});

describe('security', () => {
  it('uses no wildcard IAM actions anywhere', () => {
    const all = statements(template);
    expect(all.length).toBeGreaterThan(20);
    for (const s of all) for (const a of asArray(s.Action)) expect(a, `${s.where}: ${a}`).not.toMatch(/\*/);
  });

  it('passes cdk-nag AwsSolutions with every finding acknowledged next to its resource', () => {
    const { outdir } = synth({ nag: true });
    outdirs.push(outdir);
  });

  it('the cdk-nag harness does catch findings (a public, plain-HTTP bucket fails it)', () => {
    const outdir = tmpDir('neuroburst-cdk-');
    outdirs.push(outdir);
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bad');
    new s3.Bucket(stack, 'Leaky', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ACLS_ONLY });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions|server access logs|SSL/);
  });
});

describe('input allow-list', () => {
  const allowedOf = (t: Template) =>
    resources(t, 'AWS::Lambda::Function')
      .filter(([id]) => id.startsWith('Compute'))
      .map(([, f]) => JSON.stringify((f.Properties.Environment as { Variables: Record<string, unknown> }).Variables.NEUROBURST_ALLOWED_INPUTS));

  it('tells every worker it may read the input bucket only, by default', () => {
    const all = allowedOf(template);
    expect(all.length).toBe(discoverHandlers().length);
    for (const a of all) expect(a).toMatch(/^\{"Fn::Join":\["",\["s3:\/\/",\{"Ref":"StorageInput[0-9A-F]{8}"\},"\/"\]\]\}$/);
  });

  it('adds the deploy-time dataset prefixes (s3:// or bare form) to NEUROBURST_ALLOWED_INPUTS and grants read on exactly those prefixes', () => {
    const settings = settingsFromContext((k) => (k === 'neuroburst:datasetPrefixes' ? 's3://cohorts-bucket/epilepsy, atlas-bucket' : undefined));
    const { template: t, outdir } = synth({ settings });
    outdirs.push(outdir);
    for (const a of allowedOf(t)) expect(a).toMatch(/"\/,s3:\/\/cohorts-bucket\/epilepsy\/,s3:\/\/atlas-bucket\/"\]\]\}$/);
    const readable = statements(t)
      .filter((s) => s.where.startsWith('ComputeAleObserveRole') && asArray(s.Action).includes('s3:GetObject'))
      .flatMap((s) => asArray(s.Resource).map((r) => JSON.stringify(r)));
    const external = readable.filter((r) => !r.includes('Storage'));
    expect(external.sort()).toEqual([JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::atlas-bucket/*']] }), JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::cohorts-bucket/epilepsy/*']] })].sort());
    expect(() => synth({ settings: { datasetPrefixes: ['s3://bad/*'] } })).toThrow(/no wildcards/);
  });
});

describe('cost guard', () => {
  it('alarms on failed executions of every workflow and on account concurrency', () => {
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    const failed = alarms.filter(([, a]) => a.Properties.MetricName === 'ExecutionsFailed');
    expect(failed.length).toBe(asl.length);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'ConcurrentExecutions', Threshold: 500 });
  });

  it('reserves concurrency per worker only when the deploy-time context asks for it', () => {
    for (const [, f] of resources(template, 'AWS::Lambda::Function')) expect(f.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const settings = settingsFromContext((k) => ({ 'neuroburst:reservedConcurrency': '25', 'neuroburst:concurrencyAlarmThreshold': 120, 'neuroburst:datasetPrefixes': 'cohorts-bucket/epilepsy' })[k]);
    expect(settings.reservedConcurrency).toBe(25);
    expect(settings.datasetPrefixes).toEqual(['cohorts-bucket/epilepsy']);
    const { template: t, outdir } = synth({ settings, nag: true });
    outdirs.push(outdir);
    const fns = resources(t, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Compute'));
    for (const [id, f] of fns) expect(f.Properties.ReservedConcurrentExecutions, id).toBe(25);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConcurrentExecutions', Threshold: 120 });
    const reads = statements(t).filter((s) => s.where.startsWith('ComputeValidateRole') && JSON.stringify(s.Resource).includes('cohorts-bucket'));
    expect(reads.map((s) => asArray(s.Action).join(',')).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(JSON.stringify(reads.find((s) => asArray(s.Action).includes('s3:GetObject'))!.Resource)).toContain('cohorts-bucket/epilepsy/*');
    expect(JSON.stringify(reads.find((s) => asArray(s.Action).includes('s3:ListBucket')))).toContain('"s3:prefix":["epilepsy/*"]');
    expect(() => settingsFromContext((k) => (k === 'neuroburst:reservedConcurrency' ? 'lots' : undefined))).toThrow(/non-negative number/);
  });
});
