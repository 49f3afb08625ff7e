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
import { setInboundDirectories } from '../../../shared/adapters/inbound-directories.ts';
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
  setInboundDirectories({
    roster: { find: async (id) => (id === 'C-1042' ? { clientId: 'C-1042', email: 'c1042@client.example', therapistId: 't-1', active: true } : undefined) },
    therapists: { find: async () => ({ therapistId: 't-1', email: 'dana@practice.example' }) },
  });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

afterAll(() => {
  setClock(systemClock);
  setInboundDirectories(undefined);
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
