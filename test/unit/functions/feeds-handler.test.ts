/**
 * The feeds function's wiring: one invocation polls every feed of ICS_FEEDS (no secret here),
 * publishes SessionCompleted from the inbound source, records the calendar metrics under its
 * FUNCTIONS id, and fails, naming feed ids only, when a feed could not be read.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { FUNCTIONS } from '../../../infra/routes.ts';
import { ManualClock, setClock, systemClock } from '../../../shared/adapters/clock.ts';
import * as rosterClientItem from '../../../shared/adapters/items/roster-client.ts';
import * as therapistItem from '../../../shared/adapters/items/therapist.ts';
import { INBOUND_SOURCE } from '../../../shared/events/contracts.ts';
import { METRIC } from '../../../shared/metrics.ts';

const eventBridge = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const FEED = new URL('../../fixtures/calendar/weekly-session.ics', import.meta.url).pathname;

beforeAll(() => {
  vi.stubEnv('TABLE_NAME', 'table');
  vi.stubEnv('BUS_NAME', 'bus');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('ICS_FEEDS', `owl=${FEED},gone=/nowhere/secret-calendar-name.ics`);
  setClock(new ManualClock(new Date('2026-10-05T15:00:00Z')));
  // The client's roster entry and the therapist's directory entry, as the stores would read them.
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, { Key: rosterClientItem.key('C-1042') }).resolves({
    Item: rosterClientItem.put({ clientId: 'C-1042', email: 'c1042@client.example', therapistId: 't-1', active: true, importedAt: '2026-10-01T00:00:00Z' }).Item,
  });
  dynamo.on(GetCommand, { Key: therapistItem.key('t-1') }).resolves({
    Item: therapistItem.registerIfAbsent({ therapistId: 't-1', email: 'dana@practice.example' }, '2026-10-01T00:00:00Z', 'administrator').Item,
  });
  dynamo.on(PutCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

afterAll(() => {
  setClock(systemClock);
  vi.unstubAllEnvs();
});

it('announces the ended instance, counts it and the unreadable feed, and fails naming the feed by id only', async () => {
  const stdout: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
  const { handler } = await import('../../../functions/feeds/handler.ts');

  const outcome = await handler().then(() => undefined, (error: Error) => error);
  vi.restoreAllMocks();

  expect(outcome?.message).toBe('calendar feeds not polled: gone (unreadable)');
  const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
  expect(entries.map((entry) => [entry.Source, entry.DetailType, JSON.parse(entry.Detail!).endedAt])).toEqual([[INBOUND_SOURCE, 'SessionCompleted', '2026-10-05T14:50:00.000Z']]);
  // The state of the readable feed only; the unreadable one keeps its cursor (nothing written).
  expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.['pk'])).toEqual(['FEED#owl']);
  const emf = stdout.join('').split('\n').filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const counted = (name: string) => emf.filter((line) => line[name] !== undefined).map((line) => ({ service: line['service'], value: line[name] }));
  expect(counted(METRIC.sessionAnnounced)).toEqual([{ service: FUNCTIONS.feeds.id, value: 1 }]);
  expect(counted(METRIC.calendarFeedFailed)).toEqual([{ service: FUNCTIONS.feeds.id, value: 1 }]);
  expect(stdout.join('')).not.toContain('secret-calendar-name');
});
