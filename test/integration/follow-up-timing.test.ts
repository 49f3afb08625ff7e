/**
 * Follow-up timing on the local stack (IAM enforced), with links that expire about a minute after
 * they are sent and due times with milliseconds: every expiry is recorded, none before its due instant.
 *
 * The clock is a ManualClock stepped in quarter seconds, each step firing what is due, as the
 * scheduler stand-in's own timer does in real time: a schedule that asked for the whole second before
 * its due instant fires there, is judged "not due", and (before this was fixed) was never retried.
 */
import { expect, it } from 'vitest';
import type { EventEnvelope } from '../../infra/local/event-bus.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import * as sessionItem from '../../shared/adapters/items/session.ts';
import { mailTo, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const SECOND = 1000;
const HOUR = 3_600_000;
/** 63 s: beyond the minute within which a follow-up used to be published at once. */
const EXPIRY_MS = 63 * SECOND;

// Starts on a whole second, so the sessions below fall at known fractions of one.
const clock = new ManualClock(new Date(Math.floor(Date.now() / SECOND) * SECOND));
const local = useLocalStack({
  clock,
  iam: true,
  retry: { baseDelayMs: 20, maxDelayMs: 100 },
  // The test fires due schedules itself, step by step.
  schedulerIntervalMs: 3_600_000,
  // The functions read their settings when the stack loads them.
  env: { TOKEN_EXPIRY_HOURS: String(EXPIRY_MS / HOUR) },
});

function publishedOf(detailType: string, sessionIds: readonly string[]): EventEnvelope[] {
  return local.published.filter((event) => event['detail-type'] === detailType && sessionIds.includes(event.detail['sessionId'] as string));
}

it('records 10 of 10 expiries whose due times fall between whole seconds, none before its due instant', async () => {
  const sessions: { sessionId: string; dueAt: number }[] = [];
  const start = clock.now().getTime();
  for (let index = 0; index < 10; index += 1) {
    // A second and a bit apart: 0, 1.137 s, 2.274 s… so each due time has its own milliseconds.
    clock.set(new Date(start + index * 1_137));
    const detail = sessionDetail(clock.now());
    await sendSession(local.events, detail);
    await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });
    await local.stack.waitForIdle();
    sessions.push({ sessionId: detail.sessionId, dueAt: clock.now().getTime() + EXPIRY_MS });
  }
  const ids = sessions.map((session) => session.sessionId);

  // Quarter-second steps from just before the first due time to well after the last.
  for (let now = sessions[0]!.dueAt - SECOND; now <= sessions.at(-1)!.dueAt + 3 * SECOND; now += 250) {
    clock.set(new Date(now));
    await local.stack.scheduler.fireDue();
    await local.stack.waitForIdle();
  }

  expect(publishedOf('FeedbackExpired', ids)).toHaveLength(10);
  // Each session's expiredAt is the follow-up function's clock when it marked it: never before due.
  for (const session of sessions) {
    const { Item } = await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: sessionItem.key(session.sessionId), ConsistentRead: true }));
    expect(Date.parse(Item?.['expiredAt'] as string)).toBeGreaterThanOrEqual(session.dueAt);
  }
  expect(local.stack.iamDenials()).toEqual([]);
});
