/**
 * FollowUpScheduler on EventBridge Scheduler: one-time `at()` schedules that put the follow-up
 * event on the product's bus and delete themselves once done (no cleanup job, no idle cost), or
 * are deleted early when the client answers.
 */
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { sourceOf } from '../events/contracts.ts';
import type { EventPublisher, FollowUpScheduler, OneTimeSchedule } from '../use-cases/ports.ts';

let sharedSchedulerClient: SchedulerClient | undefined;

/** The container-wide Scheduler client (endpoint from `AWS_ENDPOINT_URL_SCHEDULER` when set). */
export function getSchedulerClient(): SchedulerClient {
  sharedSchedulerClient ??= new SchedulerClient({});
  return sharedSchedulerClient;
}

export interface SchedulerTarget {
  groupName: string;
  busArn: string;
  /** Role the scheduler assumes to put events on the bus. */
  roleArn: string;
  /** Where the scheduler parks an event it could not deliver. */
  deadLetterQueueArn: string;
}

/**
 * `at()` takes a local date-time without zone or milliseconds; the zone is given separately. The
 * time is rounded UP to the next whole second: cutting the milliseconds off would ask for a moment
 * just before the due instant, and a follow-up that fires then is (rightly) judged not yet due.
 */
export function atExpression(date: Date): string {
  const wholeSecond = new Date(Math.ceil(date.getTime() / 1000) * 1000);
  return `at(${wholeSecond.toISOString().slice(0, 19)})`;
}

export class EventBridgeScheduler implements FollowUpScheduler {
  constructor(
    private readonly target: SchedulerTarget,
    /** Publishes directly when a follow-up is already due (a late event must not wait for a schedule). */
    private readonly publisher: EventPublisher,
    private readonly now: () => Date,
    private readonly client: SchedulerClient = getSchedulerClient(),
  ) {}

  async scheduleOnce(schedule: OneTimeSchedule): Promise<void> {
    // Only when already due: one published ahead of its time would be judged not due and re-armed,
    // and a re-arm published directly again would go round until the due time.
    if (schedule.at.getTime() <= this.now().getTime()) {
      await this.publisher.publish(schedule.contract, schedule.detail);
      return;
    }
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: schedule.name,
          GroupName: this.target.groupName,
          ScheduleExpression: atExpression(schedule.at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.busArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify(schedule.detail),
            EventBridgeParameters: { Source: sourceOf(schedule.contract), DetailType: schedule.contract.detailType },
            DeadLetterConfig: { Arn: this.target.deadLetterQueueArn },
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          },
        }),
      );
    } catch (error) {
      // The same request delivered twice: its schedule exists already, which is the goal.
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  async deleteSchedule(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.target.groupName }));
    } catch (error) {
      // Already fired (and deleted itself), published directly instead of scheduled, or deleted
      // by an earlier delivery of the same answer: the goal either way.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
