/**
 * The weekly digest's clock: an EventBridge Scheduler schedule that invokes the digest dispatch
 * function every hour on the hour (UTC); the dispatch picks the therapists whose local time is the
 * digest's day and hour. Its role may invoke that function and nothing else.
 *
 * Idle cost: 720 invocations a month, within Scheduler's and Lambda's free tiers.
 */
import type { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { FunctionRole } from './function-role.ts';
import { scheduleFunction } from './function-schedule.ts';
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
    ({ schedulerRole: this.schedulerRole, schedule: this.schedule } = scheduleFunction(this, {
      target: props.dispatcher,
      account: props.account,
      roleDescription: 'Alliance Feedback scheduler: invokes the weekly digest dispatch every hour',
      statementId: 'InvokeDigestDispatch',
      schedule: {
        description: 'Alliance Feedback: every hour, send the weekly digest to the therapists whose local time is the digest hour',
        expression: 'cron(0 * * * ? *)',
        timezone: 'UTC',
        // A retry within the hour finds the same therapists; their digests are sent once each.
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 1800 },
      },
    }));
  }
}
