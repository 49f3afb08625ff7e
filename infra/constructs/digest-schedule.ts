/**
 * The weekly digest's clock: an EventBridge Scheduler schedule that invokes the digest dispatch
 * function every hour on the hour (UTC); the dispatch picks the therapists whose local time is the
 * digest's day and hour. Its role may invoke that function and nothing else.
 *
 * Idle cost: 720 invocations a month, within Scheduler's and Lambda's free tiers.
 */
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { FunctionRole } from './function-role.ts';
import type { ProductFunction } from './product-function.ts';

export interface DigestScheduleProps {
  /** The digest dispatch function (FUNCTIONS.digestDispatch). */
  dispatcher: ProductFunction;
  account: string;
}

export class DigestSchedule extends Construct {
  readonly schedule: CfnSchedule;
  /** The role EventBridge Scheduler assumes to invoke the dispatcher: lambda:InvokeFunction on it, nothing else. */
  readonly schedulerRole: FunctionRole;

  constructor(scope: Construct, id: string, props: DigestScheduleProps) {
    super(scope, id);
    this.schedulerRole = new FunctionRole(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': props.account } } }),
      description: 'Alliance Feedback scheduler: invokes the weekly digest dispatch every hour',
    });
    this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ sid: 'InvokeDigestDispatch', actions: ['lambda:InvokeFunction'], resources: [props.dispatcher.function.functionArn] }));

    this.schedule = new CfnSchedule(this, 'Schedule', {
      description: 'Alliance Feedback: every hour, send the weekly digest to the therapists whose local time is the digest hour',
      scheduleExpression: 'cron(0 * * * ? *)',
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: props.dispatcher.function.functionArn,
        roleArn: this.schedulerRole.roleArn,
        input: '{}',
        // A retry within the hour finds the same therapists; their digests are sent once each.
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 1800 },
      },
    });
  }
}
