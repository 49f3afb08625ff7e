import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { calendarFeedStates } from '../../../shared/adapters/dynamodb-poll-state-store.ts';
import { FeedReadError, feedSourcesFromEnv, fetchFeed, LocalFeedSources, SecretsManagerFeedSources } from '../../../shared/adapters/feed-sources.ts';
import * as feedStateItem from '../../../shared/adapters/items/calendar-feed-state.ts';
import { kindOfKey } from '../../../shared/adapters/items/index.ts';

const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  secrets.reset();
  dynamo.reset();
});

let dir: string;
let server: Server;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-feeds-'));
  writeFileSync(join(dir, 'Dana Calendar.ics'), 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
  writeFileSync(join(dir, 'feeds.json'), JSON.stringify({ feeds: [{ id: 'dana', url: 'Dana Calendar.ics', therapistId: 't-1' }] }));
  server = createServer((request, response) => {
    if (request.url === '/ok.ics') response.end('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalFeedSources (ICS_FEEDS)', () => {
  it('names feeds by id=, by file name, or by a hash of the URL', async () => {
    const sources = new LocalFeedSources(`owl=./a.ics, ${join(dir, 'Dana Calendar.ics')}, https://calendar.example/secret-token.ics`, dir);

    const feeds = await sources.list();

    expect(feeds.map((feed) => feed.id)).toEqual(['owl', 'dana-calendar', expect.stringMatching(/^feed-[0-9a-f]{8}$/)]);
    expect(feeds[2]!.id).not.toContain('secret');
  });

  it('reads one JSON file shaped like the secret', async () => {
    const sources = new LocalFeedSources('feeds.json', dir);

    const [feed] = await sources.list();

    expect(feed).toEqual({ id: 'dana', url: 'Dana Calendar.ics', therapistId: 't-1' });
    await expect(sources.read(feed!)).resolves.toContain('BEGIN:VCALENDAR');
  });

  it('fetches a URL, and reports a missing file or an HTTP error by feed id only', async () => {
    const sources = new LocalFeedSources(`ok=${base}/ok.ics,gone=${base}/secret-token.ics,missing=${join(dir, 'secret-name.ics')}`, dir);
    const [ok, gone, missing] = await sources.list();

    await expect(sources.read(ok!)).resolves.toContain('VCALENDAR');
    await expect(sources.read(gone!)).rejects.toThrow(new FeedReadError('feed gone: HTTP 404'));
    await expect(sources.read(missing!)).rejects.toThrow(new FeedReadError('feed missing: cannot read the file (ENOENT)'));
  });
});

describe('fetchFeed on AWS', () => {
  it('reads only https (webcal is https), never http', async () => {
    await expect(fetchFeed({ id: 'plain', url: `${base}/ok.ics` })).rejects.toThrow(/feed plain: only https:\/\/ feeds are read/);
    await expect(fetchFeed({ id: 'bad', url: 'not a url at all' })).rejects.toThrow(/^feed bad: its URL is not a URL$/);
  });
});

describe('SecretsManagerFeedSources', () => {
  it('reads the feed list from the secret at each poll', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:feeds' }).resolves({ SecretString: '{"feeds":[{"id":"owl","url":"https://calendar.example/x.ics"}]}' });

    const feeds = await new SecretsManagerFeedSources('arn:feeds', secrets as unknown as SecretsManagerClient).list();

    expect(feeds).toEqual([{ id: 'owl', url: 'https://calendar.example/x.ics' }]);
  });

  it('is chosen when the function has the secret, ICS_FEEDS otherwise, and none without either', async () => {
    const variables = { secretArn: 'CALENDAR_FEEDS_SECRET_ARN', icsFeeds: 'ICS_FEEDS' };
    expect(feedSourcesFromEnv({ CALENDAR_FEEDS_SECRET_ARN: 'arn:feeds', ICS_FEEDS: 'a.ics' }, variables)).toBeInstanceOf(SecretsManagerFeedSources);
    expect(feedSourcesFromEnv({ ICS_FEEDS: 'a.ics' }, variables)).toBeInstanceOf(LocalFeedSources);
    await expect(feedSourcesFromEnv({}, variables).list()).resolves.toEqual([]);
  });
});

describe('the calendar feed state item', () => {
  it('is a kind of its own, in the FEED# partition', () => {
    expect(kindOfKey(feedStateItem.key('owl'))?.kind).toBe('feed-state');
    expect(feedStateItem.key('owl')).toEqual({ pk: 'FEED#owl', sk: 'STATE' });
  });

  it('writes a first state only if none exists, a later one only over the state the poll read', () => {
    const state = { lastPollAt: '2026-10-05T15:00:00.000Z', announced: [{ sessionId: 'ics.owl.0', endedAt: '2026-10-05T14:50:00.000Z' }] };
    expect(feedStateItem.put('owl', state, undefined)).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)' });
    expect(feedStateItem.put('owl', state, '2026-10-05T14:45:00.000Z')).toMatchObject({
      Item: { pk: 'FEED#owl', sk: 'STATE', type: 'CalendarFeedState', feedId: 'owl', ...state },
      ConditionExpression: 'lastPollAt = :read',
      ExpressionAttributeValues: { ':read': '2026-10-05T14:45:00.000Z' },
    });
  });

  it('is read consistently and round-trips through the store; a lost race is `false`', async () => {
    const state = { lastPollAt: '2026-10-05T15:00:00.000Z', announced: [{ sessionId: 'ics.owl.0', endedAt: '2026-10-05T14:50:00.000Z' }] };
    dynamo.on(GetCommand, { TableName: 't', Key: { pk: 'FEED#owl', sk: 'STATE' }, ConsistentRead: true }).resolves({ Item: { pk: 'FEED#owl', sk: 'STATE', ...state } });
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const store = calendarFeedStates('t', dynamo as unknown as DynamoDBDocumentClient);

    await expect(store.get('owl')).resolves.toEqual(state);
    await expect(store.save('owl', state, '2026-10-05T14:45:00.000Z')).resolves.toBe(false);
  });
});
