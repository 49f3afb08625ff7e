/**
 * `alliance feeds poll`: one poll of the calendar feeds, now, with the same use case the feeds
 * function runs on its schedule (shared/use-cases/poll-calendar-feeds.ts): against the local stack
 * of `npm start` by default (feeds from --feeds or ICS_FEEDS), or on AWS with --region (the feed
 * list from the stack's secret, --secret-id). What it announces, skips and fails to read is printed
 * by feed id and session id; never a feed's URL, an event's title or a client's details.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clock } from '../shared/adapters/clock.ts';
import { calendarFeedStates } from '../shared/adapters/dynamodb-poll-state-store.ts';
import { InboundEventPublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { LocalFeedSources, SecretsManagerFeedSources } from '../shared/adapters/feed-sources.ts';
import { inboundDirectories } from '../shared/adapters/inbound-directories.ts';
import { REQUEST_SETTINGS, readSettingsFromEnv } from '../shared/config.ts';
import { pollCalendarFeeds } from '../shared/use-cases/poll-calendar-feeds.ts';
import { describeFeedPoll } from '../infra/local/feed-poller.ts';
import { parseOptions } from './args.ts';
import { reaching } from './client-data.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

export const FEEDS_HELP = `Usage: alliance feeds poll [--feeds LIST | --secret-id ARN] [--json] [where]

Polls the practice's calendar feeds once, now, as the feeds function does on its schedule: each
event instance that ended since the feed's last poll (and within maxSessionAgeHours), is in the
feed and is not cancelled becomes one SessionCompleted (from the roster), once. The schedule and
this command share each feed's state, so neither announces an instance the other did.

  --feeds LIST        Comma-separated file paths or URLs, each optionally named id=... (default:
                      ICS_FEEDS); or one .json file shaped like the secret: {"feeds":[...]}
  --secret-id ARN     On AWS: the feed list's secret (the stack output CalendarFeedsSecretArn)
  --json              Print the whole report as JSON (feed ids, session ids, counts)
  -h, --help          Show this help

${CONNECTION_HELP}
Examples:
  npx alliance feeds poll --feeds owl=./calendar.ics
  ICS_FEEDS=https://calendar.example/feed/abc.ics npx alliance feeds poll
  npx alliance feeds poll --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:CalendarFeeds... \\
    --table AllianceFeedback-Table-ABC123 --bus alliance-feedback --region eu-west-1
`;

/** Runs `alliance feeds`. */
export async function feedsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'poll') throw new UsageError(action === undefined ? 'say what to do: poll' : `unknown action "${action}"`);
  const { values } = parseOptions(rest, { ...CONNECTION_OPTIONS, feeds: { type: 'string' }, 'secret-id': { type: 'string' }, json: { type: 'boolean' } }, false);
  const connection = connect(values);
  const feeds = values.feeds ?? process.env['ICS_FEEDS'];
  if (values['secret-id'] !== undefined && values.feeds !== undefined) throw new UsageError('give --feeds or --secret-id, not both');
  if (values['secret-id'] === undefined && !feeds) throw new UsageError('name the feeds: --feeds (or ICS_FEEDS), or --secret-id on AWS');
  const secrets = values['secret-id'] === undefined ? undefined : new SecretsManagerClient({ region: connection.region });
  try {
    const { maxSessionAgeHours } = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours });
    const report = await reaching(connection, () =>
      pollCalendarFeeds({
        sources: secrets ? new SecretsManagerFeedSources(values['secret-id']!, secrets) : new LocalFeedSources(feeds!),
        state: calendarFeedStates(connection.tableName, connection.documentClient()),
        ...inboundDirectories(connection.tableName, connection.documentClient()),
        publisher: new InboundEventPublisher(connection.busName, connection.eventBridge()),
        clock,
        maxSessionAgeHours,
      }),
    );
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else for (const line of describeFeedPoll(report)) process.stdout.write(`${line}\n`);
    const failed = report.feeds.filter((feed) => feed.status === 'failed');
    if (failed.length > 0) throw new InputError(`${failed.length} feed${failed.length === 1 ? '' : 's'} not polled: ${failed.map((feed) => `${feed.feedId} (${feed.failure})`).join(', ')}`);
  } finally {
    secrets?.destroy();
    connection.close();
  }
}
