import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { IConstruct } from 'constructs';
import { acknowledgeNag, nagRef } from './nag.ts';

export interface StorageProps {
  /**
   * Days after which intermediates under `work/` in the results bucket expire.
   * @default 14
   */
  readonly workRetentionDays?: number;
  /**
   * Extra read-only dataset locations workers may read, as `s3://bucket/prefix`,
   * `bucket/prefix` or `bucket` (e.g. a shared cohort bucket). Job specs may reference them
   * by `s3://` URI; anything outside them and the input bucket is refused by Validate.
   * @default none
   */
  readonly datasetPrefixes?: string[];
  /**
   * What happens to the buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** 's3://bucket/prefix', 'bucket' or 'bucket/prefix' -> bucket and '' or 'prefix/'. */
export function splitDataset(location: string): { bucket: string; prefix: string } {
  const loc = location.replace(/^s3:\/\//, '').replace(/\/+$/, '');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^*?]+)?$/.test(loc)) {
    throw new Error(`dataset location ${JSON.stringify(location)} is not 's3://bucket[/prefix]' (no wildcards)`);
  }
  const slash = loc.indexOf('/');
  if (slash === -1) return { bucket: loc, prefix: '' };
  return { bucket: loc.slice(0, slash), prefix: loc.slice(slash + 1).replace(/\/?$/, '/') };
}

/** Secure defaults shared by every bucket of the stack. */
function secureBucketProps(removalPolicy: RemovalPolicy): Partial<s3.BucketProps> {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    autoDeleteObjects: false,
  };
}

/**
 * The stack's buckets:
 *  - input bucket: versioned, EventBridge notifications on (the upload trigger), where
 *    analysts put `jobs/<jobId>/job.json` and the cohort files;
 *  - results bucket: `work/<jobId>/…` intermediates (expired after `workRetentionDays`) and
 *    `results/<jobId>/…` outputs (kept);
 *  - access-log bucket receiving the server access logs of both.
 * Workers get exactly: read the input bucket (and configured dataset prefixes), read and
 * write `work/` and `results/` of the results bucket (`grantWorker`).
 */
export class Storage extends Construct {
  readonly logBucket: s3.Bucket;
  readonly inputBucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly datasetPrefixes: string[];

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.datasetPrefixes = props.datasetPrefixes ?? [];

    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      ...secureBucketProps(removalPolicy),
      // server access log delivery needs ACL-less owner-enforced buckets + the logging service principal (CDK adds the policy)
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    acknowledgeNag(
      this.logBucket,
      'S1',
      'This is the access-log bucket itself: logging it into itself would loop, and logging it elsewhere adds a bucket for no audit gain.',
    );

    this.inputBucket = new s3.Bucket(this, 'Input', {
      ...secureBucketProps(removalPolicy),
      versioned: true,
      eventBridgeEnabled: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'input/',
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) }],
    });

    // eventBridgeEnabled is applied by CDK's singleton BucketNotificationsHandler custom resource
    for (const c of Stack.of(this).node.children.filter((x) => x.node.id.startsWith('BucketNotificationsHandler'))) {
      acknowledgeNag(
        c,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's own deploy-time handler that turns on EventBridge notifications for the input bucket; it runs once per deployment and only writes its logs.",
      );
    }

    this.resultsBucket = new s3.Bucket(this, 'Results', {
      ...secureBucketProps(removalPolicy),
      versioned: false,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'results/',
      lifecycleRules: [
        { id: 'expire-work-intermediates', prefix: 'work/', expiration: Duration.days(props.workRetentionDays ?? 14) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(2) },
      ],
    });
  }

  /**
   * The input allow-list workers enforce (NEUROBURST_ALLOWED_INPUTS): the input bucket and
   * every dataset location, as comma-separated `s3://bucket/prefix/` entries.
   */
  allowedInputs(): string {
    return [`s3://${this.inputBucket.bucketName}/`, ...this.datasetPrefixes.map((loc) => {
      const { bucket, prefix } = splitDataset(loc);
      return `s3://${bucket}/${prefix}`;
    })].join(',');
  }

  /**
   * What a worker Lambda may do: read objects of the input bucket and dataset prefixes,
   * list them (so a missing input is a 404, not a 403), and read/write/delete under
   * `work/` and `results/` of the results bucket. Actions are named, never wildcards.
   */
  grantWorker(fn: lambda.IFunction): void {
    const grantee = fn.role;
    if (!grantee) throw new Error(`${fn.node.path}: a worker needs a role to grant storage access to`);
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [this.inputBucket.arnForObjects('*')] }),
      new iam.PolicyStatement({ sid: 'ListInputs', actions: ['s3:ListBucket'], resources: [this.inputBucket.bucketArn] }),
      new iam.PolicyStatement({
        sid: 'ReadWriteWorkAndResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [this.resultsBucket.arnForObjects('work/*'), this.resultsBucket.arnForObjects('results/*')],
      }),
      new iam.PolicyStatement({
        sid: 'ListWorkAndResults',
        actions: ['s3:ListBucket'],
        resources: [this.resultsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['work/*', 'results/*'] } },
      }),
    ];
    for (const [i, loc] of this.datasetPrefixes.entries()) {
      const { bucket, prefix } = splitDataset(loc);
      const arn = `arn:${Aws.PARTITION}:s3:::${bucket}`;
      statements.push(
        new iam.PolicyStatement({ sid: `ReadDataset${i}`, actions: ['s3:GetObject'], resources: [`${arn}/${prefix}*`] }),
        new iam.PolicyStatement({
          sid: `ListDataset${i}`,
          actions: ['s3:ListBucket'],
          resources: [arn],
          ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
        }),
      );
    }
    for (const s of statements) grantee.addToPrincipalPolicy(s);
    const input = nagRef(this.inputBucket.node.defaultChild as CfnElement, 'Arn');
    const results = nagRef(this.resultsBucket.node.defaultChild as CfnElement, 'Arn');
    const why = 'object-level S3 permissions name objects by prefix; the wildcard is the object key below a fixed prefix, never an action';
    acknowledgeNag(grantee, `IAM5[Resource::${input}/*]`, `workers read any job's inputs in the input bucket: ${why}`);
    acknowledgeNag(grantee, `IAM5[Resource::${results}/work/*]`, `workers write intermediates under work/<jobId>/: ${why}`);
    acknowledgeNag(grantee, `IAM5[Resource::${results}/results/*]`, `workers write outputs under results/<jobId>/: ${why}`);
    for (const loc of this.datasetPrefixes) {
      const { bucket, prefix } = splitDataset(loc);
      acknowledgeNag(grantee, `IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/${prefix}*]`, `read-only dataset location configured at deploy time: ${why}`);
    }
  }

  /** For Distributed Map states: read item lists and write result manifests under `work/`. */
  grantMapRunIo(grantee: iam.IGrantable & IConstruct): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapItemsAndResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.resultsBucket.arnForObjects('work/*')],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapList',
        actions: ['s3:ListBucket'],
        resources: [this.resultsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['work/*'] } },
      }),
    );
    acknowledgeNag(
      grantee,
      `IAM5[Resource::${nagRef(this.resultsBucket.node.defaultChild as CfnElement, 'Arn')}/work/*]`,
      'a Distributed Map reads its item list and writes its result manifest under work/<jobId>/: object keys below a fixed prefix',
    );
  }
}
