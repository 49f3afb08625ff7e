/**
 * The calendar feed poller's AWS side (on with the `calendarFeeds` context key): the secret that
 * lists the practice's feeds (their URLs are secrets: anyone with an anonymous feed's URL reads
 * the calendar), encrypted with the stack's key, and an EventBridge Scheduler schedule that invokes
 * the feeds function every N minutes. The function and its policy come from FUNCTIONS and
 * FUNCTION_ACCESS like every other; its GetSecretValue statement names this secret.
 *
 * Idle cost: the secret is $0.40/month; the schedule's 2,880 invocations a month (every 15 min) are
 * within Scheduler's and Lambda's free tiers.
 */
import { SecretValue } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ProductFunction } from './product-function.ts';
import type { FunctionRole } from './function-role.ts';
import { schedulePoller } from './function-schedule.ts';

export interface CalendarFeedsProps {
  /** The feeds function (FUNCTIONS.feeds). */
  poller: ProductFunction;
  key: IKey;
  intervalMinutes: number;
  account: string;
}

export class CalendarFeeds extends Construct {
  /** `{"feeds":[{"id","url","pattern"?,"searchDescription"?,"therapistId"?}]}` (shared/domain/calendar/feed-list.ts). */
  readonly secret: Secret;
  readonly schedule: CfnSchedule;
  /** The role EventBridge Scheduler assumes to invoke the poller: lambda:InvokeFunction on it, nothing else. */
  readonly schedulerRole: FunctionRole;

  constructor(scope: Construct, id: string, props: CalendarFeedsProps) {
    super(scope, id);
    this.secret = new Secret(this, 'FeedList', {
      description: 'Alliance Feedback: the calendar feeds the poller reads (their URLs are secrets). JSON: {"feeds":[{"id":"…","url":"https://…"}]}',
      encryptionKey: props.key,
      // A placeholder, not a secret: an empty list, which the practice replaces with its feeds
      // (docs/integrate.md). Until then every poll reads nothing.
      secretStringValue: SecretValue.unsafePlainText('{"feeds":[]}'),
    });

    ({ schedulerRole: this.schedulerRole, schedule: this.schedule } = schedulePoller(this, {
      target: props.poller,
      account: props.account,
      intervalMinutes: props.intervalMinutes,
      poller: 'the calendar feed poller',
      polls: 'the calendar feeds',
    }));
  }
}
