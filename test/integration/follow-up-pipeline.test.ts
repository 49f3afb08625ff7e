/**
 * Follow-ups on the local stack: the request's FeedbackRequested reaches the follow-up function,
 * whose schedules live in the scheduler stand-in; advancing the clock fires the reminder, and an
 * answer deletes both schedules.
 */
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { FaultInjector } from '../../infra/local/faults.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { atExpression } from '../../shared/adapters/eventbridge-scheduler.ts';
import { FeedbackReminderTimeReached, PRODUCT_SOURCE } from '../../shared/events/contracts.ts';
import { awaitMail, mailedLink, mailTo, postAnswers, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const HOUR = 3_600_000;

const clock = new ManualClock(new Date());
// No faults until a test sets its rules.
const faults = new FaultInjector();
// The stand-in's own timer would fire due schedules too; the test fires them itself.
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000, faults });

it('sends the one reminder when the clock reaches the reminder time', async () => {
  const detail = sessionDetail(clock.now());
  await sendSession(local.events, detail);
  await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });
  await local.stack.waitForIdle();
  expect(local.stack.scheduler.list().map((schedule) => schedule.name.split('-')[0]).sort()).toEqual(['expiry', 'reminder']);

  // Due 48 h after the request, milliseconds included; the schedule asks for the whole second after.
  clock.advance(48 * HOUR + 1000);
  expect(await local.stack.scheduler.fireDue()).toBe(1);
  await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 1, { description: 'the reminder' });
  await local.stack.waitForIdle();

  const mails = await mailTo(local.stack, detail.client.email);
  expect(mails).toHaveLength(2);
  expect(mails[1]!.subject).toMatch(/^Reminder/);
  expect(await local.stack.scheduler.fireDue()).toBe(0);
});

it('deletes the reminder and expiry schedules when the client answers', async () => {
  const names = () => local.stack.scheduler.list().map((schedule) => schedule.name);
  const earlier = new Set(names());
  const detail = sessionDetail(clock.now());
  await sendSession(local.events, detail);
  const mail = await awaitMail(local.stack, detail.client.email);
  const ours = names().filter((name) => !earlier.has(name));
  expect(ours.map((name) => name.split('-')[0]).sort()).toEqual(['expiry', 'reminder']);

  await postAnswers(local.stack, mailedLink(mail, 'f'), { relationship: 3, goals: 3, approach: 3, overall: 3 });

  expect(names().filter((name) => ours.includes(name))).toEqual([]);
  clock.advance(72 * HOUR);
  await local.stack.scheduler.fireDue();
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
});

it('announces an answer again from its reminder schedule when its FeedbackSubmitted was lost, so the alert still reaches the therapist', async () => {
  const therapist = 'lost-announcement@practice.example';
  const detail = sessionDetail(clock.now(), { therapistId: therapist.split('@')[0], therapist: { email: therapist, name: 'Dr. Lee' } });
  await sendSession(local.events, detail);
  const link = mailedLink(await awaitMail(local.stack, detail.client.email), 'f');

  // Every attempt of the web function's FeedbackSubmitted fails (the SDK's retries included).
  faults.setRules([{ service: 'eventbridge', kind: 'transient', rate: 1, match: (call) => JSON.stringify(call.input).includes('"DetailType":"FeedbackSubmitted"') }]);
  const form = new URLSearchParams({ relationship: '1', goals: '1', approach: '1', overall: '1', talk: 'yes' });
  const posted = await fetch(link, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await local.stack.waitForIdle();
  faults.setRules([]);
  expect(posted.status).toBe(303);
  expect(faults.count('eventbridge', 'transient')).toBeGreaterThan(0);
  expect(await mailTo(local.stack, therapist)).toHaveLength(0);

  clock.advance(48 * HOUR + 1000);
  await local.stack.scheduler.fireDue();
  await waitFor(async () => (await mailTo(local.stack, therapist)).length > 0, { description: 'the alert after the answer was announced again' });
  await local.stack.waitForIdle();

  expect(await mailTo(local.stack, therapist)).toHaveLength(1);
  // No reminder to a client who answered; the announcement cancelled the expiry schedule too.
  expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
  clock.advance(72 * HOUR);
  await local.stack.scheduler.fireDue();
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, therapist)).toHaveLength(1);
});

it('sends no reminder for a FeedbackReminderTimeReached 1 hour after the request (due at 48 h), and reminds once at 48 h', async () => {
  const requestedAt = clock.now().getTime();
  const detail = sessionDetail(clock.now());
  await sendSession(local.events, detail);
  await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });
  await local.stack.waitForIdle();

  // The reminder event put on the bus as the product an hour after the request, by a schedule the
  // product never made (as a Scheduler that fired early, or a forger, would): the session decides.
  clock.set(new Date(requestedAt + HOUR));
  const scheduler = new SchedulerClient({ endpoint: local.stack.endpoints.bus, region: local.stack.region, credentials: LOCAL_CREDENTIALS });
  await scheduler.send(
    new CreateScheduleCommand({
      Name: 'early-reminder',
      GroupName: 'local-follow-ups',
      ScheduleExpression: atExpression(clock.now()),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: `arn:aws:events:${local.stack.region}:000000000000:event-bus/${local.stack.busName}`,
        RoleArn: 'arn:aws:iam::000000000000:role/local-scheduler',
        Input: JSON.stringify({ sessionId: detail.sessionId }),
        EventBridgeParameters: { Source: PRODUCT_SOURCE, DetailType: FeedbackReminderTimeReached.detailType },
      },
    }),
  );
  scheduler.destroy();
  clock.advance(1000);
  const reminderEvents = () => local.published.filter((event) => event['detail-type'] === FeedbackReminderTimeReached.detailType && event.detail['sessionId'] === detail.sessionId);
  expect(await local.stack.scheduler.fireDue()).toBe(1);
  await local.stack.waitForIdle();

  expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
  expect(reminderEvents()).toHaveLength(1);

  clock.set(new Date(requestedAt + 48 * HOUR + 60_000));
  await local.stack.scheduler.fireDue();
  await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 1, { description: 'the reminder at its stored time' });
  await local.stack.scheduler.fireDue();
  await local.stack.waitForIdle();

  const mails = await mailTo(local.stack, detail.client.email);
  expect(mails).toHaveLength(2);
  expect(mails[1]!.subject).toMatch(/^Reminder/);
});

it('publishes the acknowledgement on the second POST when the first one’s AlertAcknowledged could not be put on the bus, exactly once', async () => {
  const therapist = 'acknowledgement-outbox@practice.example';
  const detail = sessionDetail(clock.now(), { therapistId: therapist.split('@')[0], therapist: { email: therapist, name: 'Dr. Lee' } });
  await sendSession(local.events, detail);
  const link = mailedLink(await awaitMail(local.stack, detail.client.email), 'f');
  await postAnswers(local.stack, link, { relationship: 1, goals: 1, approach: 1, overall: 1, talk: 'yes' });
  const ackLink = mailedLink(await awaitMail(local.stack, therapist, { description: 'the alert' }), 'a');
  const acknowledgements = () => local.published.filter((event) => event['detail-type'] === 'AlertAcknowledged' && event.detail['sessionId'] === detail.sessionId);

  // The first PutEvents of AlertAcknowledged answers with its entry failed (the SDK does not retry that).
  faults.setRules([{ service: 'eventbridge', kind: 'partial', rate: 1, limit: 1, match: (call) => JSON.stringify(call.input).includes('"DetailType":"AlertAcknowledged"') }]);
  const first = await fetch(ackLink, { method: 'POST' });
  expect(faults.count('eventbridge', 'partial')).toBe(1);
  expect(first.status).toBe(503);
  expect(acknowledgements()).toHaveLength(0);
  // Opening the link again offers the button again: the acknowledgement still owes its announcement.
  expect(await (await fetch(ackLink)).text()).toContain('<form method="post">');

  const second = await fetch(ackLink, { method: 'POST' });
  const third = await fetch(ackLink, { method: 'POST' });
  faults.setRules([]);
  await local.stack.waitForIdle();

  expect(second.status).toBe(200);
  expect(await second.text()).toContain('Already acknowledged');
  expect(third.status).toBe(200);
  expect(acknowledgements()).toHaveLength(1);
  expect(acknowledgements()[0]!.detail).toMatchObject({ sessionId: detail.sessionId, clientId: detail.clientId });
});

it('stops once, however often it is asked', async () => {
  await Promise.all([local.stack.stop(), local.stack.stop()]);

  expect(local.stack.health().status).toBe('stopping');
  await expect(fetch(local.stack.endpoints.health)).rejects.toThrow();
  await local.stack.stop();
});
