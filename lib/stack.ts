import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { Compute } from './compute.ts';
import { CostGuard } from './cost-guard.ts';
import { Pipelines } from './pipelines.ts';
import { discoverAsl, discoverHandlers } from './sources.ts';
import type { AslSource, HandlerSource } from './sources.ts';
import { Storage } from './storage.ts';
import { Trigger } from './trigger.ts';

/** Deploy-time settings (cdk.json context `neuroburst:*` or `-c neuroburst:...=...`). */
export interface NeuroburstSettings {
  /** reserved concurrency per worker function; unset = none */
  reservedConcurrency?: number;
  /** account ConcurrentExecutions alarm threshold @default 500 */
  concurrencyAlarmThreshold?: number;
  /** SNS topic ARN for the alarms */
  alarmTopicArn?: string;
  /** extra read-only dataset locations workers may read, 's3://bucket/prefix' (or 'bucket/prefix'); context neuroburst:datasetPrefixes */
  datasetPrefixes?: string[];
  /** days before work/ intermediates expire @default 14 */
  workRetentionDays?: number;
  /** delete buckets with the stack (test stacks) @default false */
  destroyBuckets?: boolean;
}

export interface NeuroburstStackProps extends StackProps {
  readonly settings?: NeuroburstSettings;
  /** @default discoverHandlers() (functions/index.ts) */
  readonly handlers?: HandlerSource[];
  /** @default discoverAsl() (statemachines/*.asl.json) */
  readonly asl?: AslSource[];
}

/**
 * neuroburst on AWS: buckets, one function per handler, one state machine per ASL file,
 * the upload trigger and the cost guard.
 */
export class NeuroburstStack extends Stack {
  readonly storage: Storage;
  readonly compute: Compute;
  readonly pipelines: Pipelines;
  readonly trigger: Trigger;
  readonly costGuard: CostGuard;

  constructor(scope: Construct, id: string, props: NeuroburstStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? {};
    const asl = props.asl ?? discoverAsl();

    this.storage = new Storage(this, 'Storage', {
      workRetentionDays: settings.workRetentionDays,
      datasetPrefixes: settings.datasetPrefixes,
      removalPolicy: settings.destroyBuckets ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.compute = new Compute(this, 'Compute', {
      handlers: props.handlers ?? discoverHandlers(),
      environment: {
        NEUROBURST_STORE: `s3://${this.storage.resultsBucket.bucketName}`,
        NEUROBURST_WORK_PREFIX: 'work/',
        NEUROBURST_RESULTS_PREFIX: 'results/',
        NEUROBURST_ALLOWED_INPUTS: this.storage.allowedInputs(),
      },
      reservedConcurrency: settings.reservedConcurrency,
    });
    for (const fn of this.compute.functions.values()) this.storage.grantWorker(fn);

    this.pipelines = new Pipelines(this, 'Workflows', {
      asl,
      compute: this.compute,
      storage: this.storage,
      types: { trigger: sfn.StateMachineType.EXPRESS },
    });
    this.trigger = new Trigger(this, 'Trigger', { inputBucket: this.storage.inputBucket, starter: this.pipelines.machine('trigger') });
    this.costGuard = new CostGuard(this, 'CostGuard', {
      machines: Object.fromEntries(this.pipelines.machines),
      concurrencyAlarmThreshold: settings.concurrencyAlarmThreshold,
      alarmTopicArn: settings.alarmTopicArn,
    });

    new CfnOutput(this, 'InputBucketName', { value: this.storage.inputBucket.bucketName, description: 'neuroburst submit --bucket <this>' });
    new CfnOutput(this, 'ResultsBucketName', { value: this.storage.resultsBucket.bucketName, description: 'neuroburst fetch --results-bucket <this>' });
    new CfnOutput(this, 'RouterStateMachineArn', { value: this.pipelines.machine('router').stateMachineArn });
  }
}

/** Read NeuroburstSettings from CDK context values (strings from `-c` are parsed). */
export function settingsFromContext(get: (key: string) => unknown): NeuroburstSettings {
  const num = (k: string) => {
    const v = get(`neuroburst:${k}`);
    if (v === undefined || v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`context neuroburst:${k} must be a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
  const list = (k: string) => {
    const v = get(`neuroburst:${k}`);
    if (v === undefined || v === null || v === '') return undefined;
    if (Array.isArray(v)) return v.map(String);
    const s = String(v).trim();
    return s.startsWith('[') ? (JSON.parse(s) as string[]).map(String) : s.split(',').map((x) => x.trim()).filter(Boolean);
  };
  const str = (k: string) => {
    const v = get(`neuroburst:${k}`);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  return {
    reservedConcurrency: num('reservedConcurrency'),
    concurrencyAlarmThreshold: num('concurrencyAlarmThreshold'),
    alarmTopicArn: str('alarmTopicArn'),
    datasetPrefixes: list('datasetPrefixes'),
    workRetentionDays: num('workRetentionDays'),
    destroyBuckets: ['true', '1'].includes(String(get('neuroburst:destroyBuckets') ?? '')),
  };
}
