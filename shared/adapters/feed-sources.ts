/**
 * Where the calendar feeds come from (the FeedSources port). On AWS: one Secrets Manager secret
 * holding the feed list (its JSON shape is shared/domain/calendar/feed-list.ts), read at each poll
 * so a changed secret takes effect at the next one. Locally: ICS_FEEDS, file paths or URLs,
 * comma-separated (or one JSON file in the secret's shape). Same poller, same function; only this
 * adapter differs (there is no local Secrets Manager stand-in yet).
 *
 * Feed URLs are secrets: errors here say which feed failed and how (status, timeout, size), never
 * the URL.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSecretsManagerClient } from './secrets-manager.ts';
import { parseCalendarFeedList, type CalendarFeed } from '../domain/calendar/feed-list.ts';
import type { FeedSources } from '../use-cases/ports.ts';

/** A feed could not be read; the message never holds its URL. */
export class FeedReadError extends Error {
  override name = 'FeedReadError';
}

/** Calendars of a practice are small; a body far larger is not a practice calendar. */
const MAX_FEED_BYTES = 20 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

/** GET a feed over HTTPS (`webcal://` is HTTPS by convention), bounded in time and size. */
export async function fetchFeed(feed: CalendarFeed, options: { allowHttp: boolean } = { allowHttp: false }): Promise<string> {
  const url = feed.url.replace(/^webcals?:\/\//i, 'https://');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FeedReadError(`feed ${feed.id}: its URL is not a URL`);
  }
  if (parsed.protocol !== 'https:' && !(options.allowHttp && parsed.protocol === 'http:')) throw new FeedReadError(`feed ${feed.id}: only https:// feeds are read`);
  let response: Response;
  try {
    response = await fetch(parsed, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'text/calendar, */*;q=0.5' }, redirect: 'follow' });
  } catch (error) {
    throw new FeedReadError(`feed ${feed.id}: request failed (${(error as Error).name})`);
  }
  if (!response.ok) throw new FeedReadError(`feed ${feed.id}: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_FEED_BYTES) throw new FeedReadError(`feed ${feed.id}: larger than ${MAX_FEED_BYTES} bytes`);
  const text = await response.text();
  if (text.length > MAX_FEED_BYTES) throw new FeedReadError(`feed ${feed.id}: larger than ${MAX_FEED_BYTES} bytes`);
  return text;
}

/** The feed list in one Secrets Manager secret (the stack's, by ARN). */
export class SecretsManagerFeedSources implements FeedSources {
  constructor(
    private readonly secretId: string,
    private readonly client: SecretsManagerClient = getSecretsManagerClient(),
  ) {}

  async list(): Promise<CalendarFeed[]> {
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    // A new secret holds the placeholder `{"feeds":[]}` until the practice puts its list in.
    return parseCalendarFeedList(result.SecretString ?? '{"feeds":[]}').feeds;
  }

  read(feed: CalendarFeed): Promise<string> {
    return fetchFeed(feed);
  }
}

/**
 * ICS_FEEDS: comma-separated entries, each a file path or an http(s)/webcal URL, optionally named
 * `id=…` (`owl=./calendar.ics`); unnamed ones get an id from the file's name or a hash of the URL.
 * Or the path of one `.json` file in the secret's shape, for a pattern or a therapist per feed.
 */
export class LocalFeedSources implements FeedSources {
  constructor(
    private readonly icsFeeds: string,
    private readonly cwd: string = process.cwd(),
  ) {}

  async list(): Promise<CalendarFeed[]> {
    const entries = this.icsFeeds.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    if (entries.length === 1 && entries[0]!.toLowerCase().endsWith('.json') && !isUrl(entries[0]!)) {
      return parseCalendarFeedList(await readFile(resolve(this.cwd, entries[0]!), 'utf8')).feeds;
    }
    return parseCalendarFeedList(JSON.stringify({ feeds: entries.map(localFeedOf) })).feeds;
  }

  async read(feed: CalendarFeed): Promise<string> {
    if (isUrl(feed.url)) return fetchFeed(feed, { allowHttp: true });
    try {
      return await readFile(resolve(this.cwd, feed.url), 'utf8');
    } catch (error) {
      throw new FeedReadError(`feed ${feed.id}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
}

function isUrl(text: string): boolean {
  return /^(https?|webcals?):\/\//i.test(text);
}

function localFeedOf(entry: string): { id: string; url: string } {
  const named = /^([a-z0-9][a-z0-9-]{0,39})=(.+)$/.exec(entry);
  if (named) return { id: named[1]!, url: named[2]! };
  if (isUrl(entry)) return { id: `feed-${createHash('sha256').update(entry).digest('hex').slice(0, 8)}`, url: entry };
  const id = basename(entry, extname(entry)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'feed';
  return { id, url: entry };
}

/**
 * The feed sources of this environment: the stack's secret when the function has one
 * (CALENDAR_FEEDS_SECRET_ARN, AWS), else ICS_FEEDS (the local stack), else none.
 */
export function feedSourcesFromEnv(env: NodeJS.ProcessEnv, variables: { secretArn: string; icsFeeds: string }): FeedSources {
  const secretArn = env[variables.secretArn];
  if (secretArn) return new SecretsManagerFeedSources(secretArn);
  const icsFeeds = env[variables.icsFeeds];
  if (icsFeeds) return new LocalFeedSources(icsFeeds);
  return { list: async () => [], read: async () => '' };
}
