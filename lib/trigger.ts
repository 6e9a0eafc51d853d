import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface TriggerProps {
  /** bucket with `eventBridgeEnabled: true` */
  readonly inputBucket: s3.IBucket;
  /** the EXPRESS starter (statemachines/trigger.asl.json) */
  readonly starter: sfn.IStateMachine;
  /**
   * Key pattern of job specs (EventBridge wildcard).
   * @default 'jobs/*\/job.json'
   */
  readonly keyPattern?: string;
}

/** The EventBridge pattern for uploads of job specs to the input bucket. */
export function jobUploadPattern(bucketName: string, keyPattern = 'jobs/*/job.json'): events.EventPattern {
  return {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: { bucket: { name: [bucketName] }, object: { key: events.Match.wildcard(keyPattern) } },
  };
}

/**
 * S3 → EventBridge → starter: a rule on Object Created for `jobs/<jobId>/job.json` starts
 * the EXPRESS starter workflow with {bucket, key, versionId, etag} (input transformer).
 * The starter derives the router's execution name from key, version id and etag, so a
 * duplicate delivery of one upload starts nothing new and a re-upload (new version) is a
 * new run. (EventBridge's Step Functions target cannot set an execution name; a starter
 * workflow does it in the ASL, with no code and no SDK to bundle.)
 */
export class Trigger extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: TriggerProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'JobUploaded', {
      description: 'neuroburst: a job.json uploaded under jobs/<jobId>/ starts its run',
      eventPattern: jobUploadPattern(props.inputBucket.bucketName, props.keyPattern),
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(props.starter, {
        input: events.RuleTargetInput.fromObject({
          bucket: events.EventField.fromPath('$.detail.bucket.name'),
          key: events.EventField.fromPath('$.detail.object.key'),
          versionId: events.EventField.fromPath('$.detail.object.version-id'),
          etag: events.EventField.fromPath('$.detail.object.etag'),
        }),
        retryAttempts: 20,
        maxEventAge: Duration.hours(6),
      }),
    );
  }
}
