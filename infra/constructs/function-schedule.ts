/**
 * An EventBridge Scheduler schedule that invokes one product function, with the role Scheduler
 * assumes for it: lambda:InvokeFunction on that function's own ARN (no `:*` for versions and
 * aliases: the schedule names none), from this account only, and nothing else. The calendar feed
 * poller, the FHIR poller and the weekly digest's dispatch each have one.
 *
 * The role and the schedule are made as children `SchedulerRole` and `Schedule` of the caller's
 * construct, so each keeps the logical ids it had before this was shared.
 */
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { FunctionRole } from './function-role.ts';
import type { ProductFunction } from './product-function.ts';

export interface FunctionScheduleProps {
  /** The function the schedule invokes (with `{}` as its input). */
  target: ProductFunction;
  account: string;
  /** The role's description: what it invokes and when. */
  roleDescription: string;
  /** The Sid of the role's one statement. */
  statementId: string;
  /** The schedule's description, expression, optional zone and retries. */
  schedule: {
    description: string;
    expression: string;
    timezone?: string | undefined;
    retryPolicy: CfnSchedule.RetryPolicyProperty;
  };
}

/** Every N minutes, as Scheduler writes it (`rate(1 minute)`, `rate(15 minutes)`). */
export function everyMinutes(minutes: number): string {
  return `rate(${minutes} minute${minutes === 1 ? '' : 's'})`;
}

/** Adds the role and the schedule to `scope` (as `SchedulerRole` and `Schedule`). */
export function scheduleFunction(scope: Construct, props: FunctionScheduleProps): { schedulerRole: FunctionRole; schedule: CfnSchedule } {
  const schedulerRole = new FunctionRole(scope, 'SchedulerRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': props.account } } }),
    description: props.roleDescription,
  });
  schedulerRole.addToPrincipalPolicy(new PolicyStatement({ sid: props.statementId, actions: ['lambda:InvokeFunction'], resources: [props.target.function.functionArn] }));

  const schedule = new CfnSchedule(scope, 'Schedule', {
    description: props.schedule.description,
    scheduleExpression: props.schedule.expression,
    ...(props.schedule.timezone ? { scheduleExpressionTimezone: props.schedule.timezone } : {}),
    flexibleTimeWindow: { mode: 'OFF' },
    state: 'ENABLED',
    target: { arn: props.target.function.functionArn, roleArn: schedulerRole.roleArn, input: '{}', retryPolicy: props.schedule.retryPolicy },
  });
  return { schedulerRole, schedule };
}

export interface PollerScheduleProps {
  /** The poller function (with `{}` as its input). */
  target: ProductFunction;
  account: string;
  intervalMinutes: number;
  /** What the function is, for the role's description: "the calendar feed poller". */
  poller: string;
  /** What it polls, for the schedule's description: "the calendar feeds". */
  polls: string;
}

/**
 * A poller's role and schedule (as `SchedulerRole` and `Schedule`): every N minutes and no retries,
 * because each poll covers everything since the last successful one (its cursor stays put when a
 * poll fails), so the next poll is the retry.
 */
export function schedulePoller(scope: Construct, props: PollerScheduleProps): { schedulerRole: FunctionRole; schedule: CfnSchedule } {
  return scheduleFunction(scope, {
    target: props.target,
    account: props.account,
    roleDescription: `Alliance Feedback scheduler: invokes ${props.poller}`,
    statementId: 'InvokePoller',
    schedule: {
      description: `Alliance Feedback: poll ${props.polls} every ${props.intervalMinutes} minutes`,
      expression: everyMinutes(props.intervalMinutes),
      retryPolicy: { maximumRetryAttempts: 0 },
    },
  });
}
