/**
 * Follow-ups on the local stack: the request's FeedbackRequested reaches the follow-up function,
 * whose schedules live in the scheduler stand-in; advancing the clock fires the reminder, and an
 * answer deletes both schedules.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultInjector } from '../../infra/local/faults.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { eventBridgeClient, mailTo, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';

const HOUR = 3_600_000;

let stack: LocalStack;
let events: EventBridgeClient;
const clock = new ManualClock(new Date());
// No faults until a test sets its rules.
const faults = new FaultInjector();

beforeAll(async () => {
  // The stand-in's own timer would fire due schedules too; the test fires them itself.
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000, faults });
  events = eventBridgeClient(stack);
});

afterAll(async () => {
  events?.destroy();
  await stack?.stop();
});

it('sends the one reminder when the clock reaches the reminder time', async () => {
  const detail = sessionDetail(clock.now());
  await sendSession(events, detail);
  await waitFor(async () => (await mailTo(stack, detail.client.email)).length > 0, { description: 'the feedback email' });
  await stack.waitForIdle();
  expect(stack.scheduler.list().map((schedule) => schedule.name.split('-')[0]).sort()).toEqual(['expiry', 'reminder']);

  clock.advance(48 * HOUR);
  expect(await stack.scheduler.fireDue()).toBe(1);
  await waitFor(async () => (await mailTo(stack, detail.client.email)).length > 1, { description: 'the reminder' });
  await stack.waitForIdle();

  const mails = await mailTo(stack, detail.client.email);
  expect(mails).toHaveLength(2);
  expect(mails[1]!.subject).toMatch(/^Reminder/);
  expect(await stack.scheduler.fireDue()).toBe(0);
});

it('deletes the reminder and expiry schedules when the client answers', async () => {
  const names = () => stack.scheduler.list().map((schedule) => schedule.name);
  const earlier = new Set(names());
  const detail = sessionDetail(clock.now());
  await sendSession(events, detail);
  await waitFor(async () => (await mailTo(stack, detail.client.email)).length > 0, { description: 'the feedback email' });
  await stack.waitForIdle();
  const ours = names().filter((name) => !earlier.has(name));
  expect(ours.map((name) => name.split('-')[0]).sort()).toEqual(['expiry', 'reminder']);

  const mail = (await mailTo(stack, detail.client.email))[0]!;
  const link = /http:\/\/127\.0\.0\.1:\d+\/f\/[A-Za-z0-9_-]{43}/.exec(mail.body.text ?? '')![0];
  const form = new URLSearchParams({ relationship: '3', goals: '3', approach: '3', overall: '3' });
  const posted = await fetch(link, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(posted.status).toBe(303);
  await stack.waitForIdle();

  expect(names().filter((name) => ours.includes(name))).toEqual([]);
  clock.advance(72 * HOUR);
  await stack.scheduler.fireDue();
  await stack.waitForIdle();
  expect(await mailTo(stack, detail.client.email)).toHaveLength(1);
});

it('announces an answer again from its reminder schedule when its FeedbackSubmitted was lost, so the alert still reaches the therapist', async () => {
  const therapist = 'lost-announcement@practice.example';
  const detail = sessionDetail(clock.now(), { therapist: { email: therapist, name: 'Dr. Lee' } });
  await sendSession(events, detail);
  await waitFor(async () => (await mailTo(stack, detail.client.email)).length > 0, { description: 'the feedback email' });
  await stack.waitForIdle();
  const link = /http:\/\/127\.0\.0\.1:\d+\/f\/[A-Za-z0-9_-]{43}/.exec((await mailTo(stack, detail.client.email))[0]!.body.text ?? '')![0];

  // Every attempt of the web function's FeedbackSubmitted fails (the SDK's retries included).
  faults.setRules([{ service: 'eventbridge', kind: 'transient', rate: 1, match: (call) => JSON.stringify(call.input).includes('"DetailType":"FeedbackSubmitted"') }]);
  const form = new URLSearchParams({ relationship: '1', goals: '1', approach: '1', overall: '1', talk: 'yes' });
  const posted = await fetch(link, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await stack.waitForIdle();
  faults.setRules([]);
  expect(posted.status).toBe(303);
  expect(faults.count('eventbridge', 'transient')).toBeGreaterThan(0);
  expect(await mailTo(stack, therapist)).toHaveLength(0);

  clock.advance(48 * HOUR);
  await stack.scheduler.fireDue();
  await waitFor(async () => (await mailTo(stack, therapist)).length > 0, { description: 'the alert after the answer was announced again' });
  await stack.waitForIdle();

  expect(await mailTo(stack, therapist)).toHaveLength(1);
  // No reminder to a client who answered; the announcement cancelled the expiry schedule too.
  expect(await mailTo(stack, detail.client.email)).toHaveLength(1);
  clock.advance(72 * HOUR);
  await stack.scheduler.fireDue();
  await stack.waitForIdle();
  expect(await mailTo(stack, therapist)).toHaveLength(1);
});

it('stops once, however often it is asked', async () => {
  await Promise.all([stack.stop(), stack.stop()]);

  expect(stack.health().status).toBe('stopping');
  await expect(fetch(stack.endpoints.health)).rejects.toThrow();
  await stack.stop();
});
