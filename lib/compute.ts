import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.ts';
import { REPO_ROOT } from './sources.ts';
import type { HandlerSource } from './sources.ts';

export interface ComputeProps {
  /** every handler of functions/index.ts with its memory and timeout (lib/sources.ts) */
  readonly handlers: HandlerSource[];
  /** environment common to every function, e.g. NEUROBURST_STORE */
  readonly environment: Record<string, string>;
  /**
   * Reserved concurrency per worker function (caps the account-level burst of one
   * deployment); unset = unreserved, the account's pool.
   * @default undefined
   */
  readonly reservedConcurrency?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Data files the compute package reads at run time (e.g. the ALE default mask), copied into every bundle. */
export const BUNDLED_ASSET_DIRS = ['assets/ale', 'assets/netmap', 'assets/atlases', 'assets/viewer', 'assets/templates'] as const;
/** Where they are inside a deployed function (the bundle is unpacked at LAMBDA_TASK_ROOT, /var/task). */
export const LAMBDA_ASSETS_DIR = '/var/task/assets';

/** The Lambda runtime neuroburst targets (DESIGN §9: Node 22; the code also runs on Node 20). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * Bundling never falls back to Docker: when esbuild is not installed locally, CDK would
 * silently try a Docker build, so refuse with a clear message instead.
 */
function assertLocalEsbuild(): void {
  try {
    createRequire(join(REPO_ROOT, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed in this checkout (npm ci): neuroburst bundles its Lambda functions locally and never with Docker');
  }
}

/**
 * One NodejsFunction per handler of functions/index.ts: esbuild bundle of the handler and
 * the compute package (AWS SDK included, so the bundle does not depend on the SDK version
 * of the runtime) plus the run-time data files of BUNDLED_ASSET_DIRS (under `assets/`,
 * NEUROBURST_ASSETS_DIR), ESM, arm64, Node 22, memory and timeout from TASKS, X-Ray active,
 * its own log group and its own role (logs only; storage grants come from Storage).
 */
export class Compute extends Construct {
  /** handler name -> function */
  readonly functions = new Map<string, NodejsFunction>();

  constructor(scope: Construct, id: string, props: ComputeProps) {
    super(scope, id);
    assertLocalEsbuild();
    for (const h of props.handlers) {
      const logGroup = new logs.LogGroup(this, `${h.name}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(this, `${h.name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `neuroburst ${h.name} (${h.taskType}) worker`,
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      );
      const fn = new NodejsFunction(this, h.name, {
        entry: h.entry,
        handler: 'handler',
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
        runtime: LAMBDA_RUNTIME,
        architecture: LAMBDA_ARCHITECTURE,
        memorySize: h.memoryMb,
        timeout: Duration.seconds(h.timeoutSeconds),
        description: `neuroburst ${h.name}: task type ${h.taskType}`,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        reservedConcurrentExecutions: props.reservedConcurrency,
        environment: { ...props.environment, NEUROBURST_TASK_TYPE: h.taskType, NEUROBURST_ASSETS_DIR: LAMBDA_ASSETS_DIR, NODE_OPTIONS: '--enable-source-maps' },
        bundling: {
          format: OutputFormat.ESM,
          target: 'node22',
          platform: 'node',
          mainFields: ['module', 'main'],
          // CommonJS dependencies (nifti-reader-js, jstat) call require(); give the ESM bundle one
          banner: "import { createRequire as __nbCreateRequire } from 'node:module'; const require = __nbCreateRequire(import.meta.url);",
          bundleAwsSDK: true,
          externalModules: [],
          minify: true,
          sourceMap: true,
          forceDockerBundling: false,
          // run-time data files next to index.mjs (NEUROBURST_ASSETS_DIR points the code at them)
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) =>
              BUNDLED_ASSET_DIRS.flatMap((d) => [`mkdir -p "${outputDir}/${d}"`, `cp -R "${inputDir}/${d}/." "${outputDir}/${d}/"`]),
          },
        },
      });
      acknowledgeNag(
        role,
        'IAM5[Resource::*]',
        'X-Ray PutTraceSegments/PutTelemetryRecords (added for Tracing.ACTIVE) support no resource-level permissions: "*" is the only valid resource.',
      );
      acknowledgeNag(
        fn,
        'L1',
        `neuroburst targets ${LAMBDA_RUNTIME.name} deliberately (DESIGN §9): the code is tested on Node 20 and 22; a newer runtime is adopted after testing, not automatically.`,
      );
      this.functions.set(h.name, fn);
    }
  }

  /** The function for a handler name; a clear error for a placeholder with no handler. */
  get(name: string): NodejsFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no handler '${name}' in functions/index.ts (needed by \${${name}FunctionArn} in ${Stack.of(this).stackName})`);
    return fn;
  }
}
