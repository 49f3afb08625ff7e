/**
 * The calendar feed on the local stack, end to end: the feeds function (the one the schedule
 * invokes on AWS) reads a weekly session's feed, announces each instance that ended as
 * SessionCompleted from the inbound source, the request function emails the client; a cancelled
 * instance sends nothing, and a later poll sends nothing again.
 *
 * The client is on the roster and the therapist in the directory, written with their real stores, so
 * the function reads both under local IAM enforcement; the clock is a ManualClock.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbClientRoster } from '../../shared/adapters/dynamodb-client-roster.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import { INBOUND_SOURCE } from '../../shared/events/contracts.ts';
import { mailTo } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const CLIENT = 'c1042@client.example';
const FEED = fileURLToPath(new URL('../fixtures/calendar/weekly-session.ics', import.meta.url));

// Monday 12 Oct 2026, 08:00 in New York: the 5 Oct session is over, today's (cancelled) is not.
const clock = new ManualClock(new Date('2026-10-12T12:00:00Z'));
const local = useLocalStack({ clock, schedulerIntervalMs: 3_600_000, icsFeeds: `owl=${FEED}` });

beforeAll(async () => {
  await new DynamoDbClientRoster(local.stack.tableName, local.table).put([{ clientId: 'C-1042', email: CLIENT, firstName: 'Sam', locale: 'en', therapistId: 't-1', active: true, importedAt: clock.now().toISOString() }]);
  await new DynamoDbTherapistDirectory(local.stack.tableName, local.table).save({ therapistId: 't-1', email: 'dana@practice.example', name: 'Dana' }, clock.now().toISOString());
});

const sessionsAnnounced = () => local.published.filter((event) => event['detail-type'] === 'SessionCompleted');

it('sends one email for the weekly session that ended, from an inbound SessionCompleted', async () => {
  const report = await local.stack.pollFeeds();
  await local.stack.waitForIdle();

  expect(report.feeds).toMatchObject([{ feedId: 'owl', status: 'polled', announced: [expect.stringMatching(/^ics\.owl\.[0-9a-f]{32}$/)] }]);
  expect(sessionsAnnounced().map((event) => [event.source, (event.detail as { endedAt: string }).endedAt])).toEqual([[INBOUND_SOURCE, '2026-10-05T14:50:00.000Z']]);
  expect(await mailTo(local.stack, CLIENT)).toHaveLength(1);
  expect(local.stack.iamDenials()).toEqual([]);
});

it('sends nothing for the cancelled instance once it would have ended', async () => {
  clock.set(new Date('2026-10-12T16:00:00Z'));
  const report = await local.stack.pollFeeds();
  await local.stack.waitForIdle();

  expect(report.feeds[0]).toMatchObject({ announced: [], cancelled: 1 });
  expect(await mailTo(local.stack, CLIENT)).toHaveLength(1);
});

it('sends one email for the moved instance after its new end, and a second poll sends none', async () => {
  clock.set(new Date('2026-10-28T00:00:00Z'));
  await local.stack.pollFeeds();
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, CLIENT)).toHaveLength(2);

  clock.set(new Date('2026-10-28T00:15:00Z'));
  const again = await local.stack.pollFeeds();
  await local.stack.waitForIdle();

  expect(again.feeds[0]).toMatchObject({ status: 'polled', announced: [] });
  expect(sessionsAnnounced()).toHaveLength(2);
  expect(await mailTo(local.stack, CLIENT)).toHaveLength(2);
  expect(local.stack.iamDenials()).toEqual([]);
});
