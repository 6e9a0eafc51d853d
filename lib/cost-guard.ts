import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface CostGuardProps {
  /** workflows (by a short name) whose failed executions raise an alarm each */
  readonly machines: Record<string, sfn.IStateMachine>;
  /**
   * Account-wide concurrent Lambda executions above which the alarm fires.
   * @default 500
   */
  readonly concurrencyAlarmThreshold?: number;
  /**
   * ARN of an existing SNS topic notified by both alarms.
   * @default no notification (the alarms are visible in CloudWatch)
   */
  readonly alarmTopicArn?: string;
}

/**
 * Spend guards beyond each job's own budget check (the plan step refuses a job over
 * `budget.maxUsd` before any fan-out): an alarm per workflow on failed executions and
 * one on the account's concurrent Lambda executions. Reserved concurrency per worker is a
 * deploy-time setting of Compute (context `neuroburst:reservedConcurrency`).
 */
export class CostGuard extends Construct {
  readonly failedExecutions: cloudwatch.Alarm[] = [];
  readonly concurrentExecutions: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CostGuardProps) {
    super(scope, id);
    for (const [name, m] of Object.entries(props.machines)) {
      this.failedExecutions.push(
        new cloudwatch.Alarm(this, `${name}ExecutionsFailed`, {
          alarmDescription: `neuroburst: a ${name} execution failed (see results/<jobId>/error.json)`,
          metric: m.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    this.concurrentExecutions = new cloudwatch.Alarm(this, 'LambdaConcurrency', {
      alarmDescription: 'neuroburst: concurrent Lambda executions in this account/region are above the expected fan-out',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'ConcurrentExecutions',
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: props.concurrencyAlarmThreshold ?? 500,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopicArn) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
      for (const a of [...this.failedExecutions, this.concurrentExecutions]) a.addAlarmAction(new actions.SnsAction(topic));
    }
  }
}
