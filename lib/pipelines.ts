import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Compute } from './compute.ts';
import { acknowledgeNag } from './nag.ts';
import type { Storage } from './storage.ts';
import { allStates, distributedMaps, pascal } from './sources.ts';
import type { AslSource } from './sources.ts';

export interface PipelinesProps {
  /** every statemachines/*.asl.json (lib/sources.ts discoverAsl) */
  readonly asl: AslSource[];
  readonly compute: Compute;
  readonly storage: Storage;
  /**
   * Workflow type per file stem; the rest are STANDARD.
   * @default { trigger: EXPRESS }
   */
  readonly types?: Record<string, sfn.StateMachineType>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

const START_EXECUTION = 'arn:aws:states:::states:startExecution';

/**
 * One state machine per ASL file, its definition the file itself (DefinitionBody.fromFile)
 * with DefinitionSubstitutions for every `${...}` placeholder it uses:
 *  - `${<Handler>FunctionArn}`: the function of that handler (lambda:InvokeFunction granted
 *    on exactly the functions the file uses);
 *  - `${<Stem>StateMachineArn}`: the machine of another file (states:StartExecution on it);
 *  - `${PipelineStateMachineArnPrefix}`: `arn:…:stateMachine:<stack>-`, to which a router
 *    appends `job.pipeline` (states:StartExecution on every pipeline machine);
 *  - `${ResultsBucketName}`, `${InputBucketName}`.
 * A `.sync` start also gets Describe/StopExecution and the managed EventBridge rule; a
 * Distributed Map gets child executions of its own machine and S3 I/O under `work/`.
 * An unknown placeholder is an error at synth time, not a broken deployment.
 * Machines are named `<stack>-<stem>` so the router can address pipelines by name.
 */
export class Pipelines extends Construct {
  /** file stem -> state machine */
  readonly machines = new Map<string, sfn.StateMachine>();
  readonly pipelineStems: string[];

  constructor(scope: Construct, id: string, props: PipelinesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const types = props.types ?? { trigger: sfn.StateMachineType.EXPRESS };
    this.pipelineStems = props.asl.filter((a) => a.kind === 'pipeline').map((a) => a.stem);
    const nameOf = (stem: string) => `${stack.stackName}-${stem}`;
    const machineArn = (stem: string) =>
      Arn.format({ service: 'states', resource: 'stateMachine', resourceName: nameOf(stem), arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
    const executionArns = (stem: string) =>
      Arn.format({ service: 'states', resource: 'execution', resourceName: `${nameOf(stem)}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
    const byStem = new Map(props.asl.map((a) => [a.stem, a]));

    for (const a of props.asl) {
      const substitutions: Record<string, string> = {};
      const invoked: string[] = [];
      const started: string[] = [];
      for (const p of a.placeholders) {
        if (p.endsWith('FunctionArn')) {
          const fn = props.compute.get(p.slice(0, -'FunctionArn'.length));
          substitutions[p] = fn.functionArn;
          invoked.push(fn.functionArn);
        } else if (p === 'PipelineStateMachineArnPrefix') {
          substitutions[p] = Arn.format({ service: 'states', resource: 'stateMachine', resourceName: `${stack.stackName}-`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
          started.push(...this.pipelineStems);
        } else if (p.endsWith('StateMachineArn')) {
          const target = [...byStem.keys()].find((s) => pascal(s) === p.slice(0, -'StateMachineArn'.length));
          if (!target) throw new Error(`${a.file}: \${${p}} names no statemachines/*.asl.json`);
          substitutions[p] = machineArn(target);
          started.push(target);
        } else if (p === 'ResultsBucketName') {
          substitutions[p] = props.storage.resultsBucket.bucketName;
        } else if (p === 'InputBucketName') {
          substitutions[p] = props.storage.inputBucket.bucketName;
        } else {
          throw new Error(`${a.file}: unknown placeholder \${${p}} (see lib/pipelines.ts for the supported ones)`);
        }
      }

      const logGroup = new logs.LogGroup(this, `${pascal(a.stem)}Logs`, {
        logGroupName: `/aws/vendedlogs/states/${nameOf(a.stem)}`,
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const machine = new sfn.StateMachine(this, pascal(a.stem), {
        stateMachineName: nameOf(a.stem),
        stateMachineType: types[a.stem] ?? sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromFile(a.file),
        definitionSubstitutions: substitutions,
        tracingEnabled: true,
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
        timeout: types[a.stem] === sfn.StateMachineType.EXPRESS ? Duration.minutes(5) : Duration.days(2),
        comment: `neuroburst ${a.kind} ${a.stem} (statemachines/${a.stem}.asl.json)`,
      });

      if (invoked.length > 0) {
        machine.addToRolePolicy(new iam.PolicyStatement({ sid: 'InvokeTaskFunctions', actions: ['lambda:InvokeFunction'], resources: invoked }));
      }
      const ackExecutions: string[] = [];
      const nagArn = (arn: string) =>
        (stack.resolve(arn) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((p) => (typeof p === 'string' ? p : `<${Object.values(p as Record<string, string>)[0]}>`))
          .join('');
      const states = allStates(a.definition);
      const syncStart = states.some(([, s]) => typeof s.Resource === 'string' && s.Resource.startsWith(`${START_EXECUTION}.sync`));
      if (started.length > 0) {
        const targets = [...new Set(started)];
        machine.addToRolePolicy(new iam.PolicyStatement({ sid: 'StartWorkflows', actions: ['states:StartExecution'], resources: targets.map(machineArn) }));
        if (syncStart) {
          machine.addToRolePolicy(
            new iam.PolicyStatement({ sid: 'FollowStartedWorkflows', actions: ['states:DescribeExecution', 'states:StopExecution'], resources: targets.map(executionArns) }),
          );
          ackExecutions.push(...targets.map((t) => nagArn(executionArns(t))));
          machine.addToRolePolicy(
            new iam.PolicyStatement({
              sid: 'SyncCompletionEvents',
              actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
              resources: [
                Arn.format({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack),
              ],
            }),
          );
        }
      }
      if (distributedMaps(a.definition).length > 0) {
        // child workflow executions of a Distributed Map are executions of this machine
        machine.addToRolePolicy(new iam.PolicyStatement({ sid: 'DistributedMapRuns', actions: ['states:StartExecution'], resources: [machineArn(a.stem)] }));
        machine.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'DistributedMapChildren',
            actions: ['states:DescribeExecution', 'states:StopExecution'],
            resources: [Arn.format({ service: 'states', resource: 'execution', resourceName: `${nameOf(a.stem)}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)],
          }),
        );
        ackExecutions.push(nagArn(Arn.format({ service: 'states', resource: 'execution', resourceName: `${nameOf(a.stem)}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)));
        props.storage.grantMapRunIo(machine);
      }

      acknowledgeNag(
        machine,
        'IAM5[Resource::*]',
        'CloudWatch Logs vended delivery (logs:CreateLogDelivery, ...) and X-Ray (PutTraceSegments, ...) accept no resource ARN: "*" is the only valid resource.',
      );
      for (const arn of ackExecutions) {
        acknowledgeNag(machine, `IAM5[Resource::${arn}]`, 'executions of a named workflow have names chosen at run time (`execution:<machine>:<name>`, Distributed Map children `<machine>/<run>:<name>`)');
      }
      this.machines.set(a.stem, machine);
    }
  }

  machine(stem: string): sfn.StateMachine {
    const m = this.machines.get(stem);
    if (!m) throw new Error(`no statemachines/${stem}.asl.json`);
    return m;
  }
}
