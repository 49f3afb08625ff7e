/**
 * The local stand-in for the calendar feed poller's schedule: `npm start` with ICS_FEEDS set polls
 * the feeds once at start-up and then every ICS_POLL_MINUTES (default 15, as deployed), by invoking
 * the same feeds function the schedule invokes on AWS, as that function (IAM enforced). The
 * function reads ICS_FEEDS instead of the secret: the only local difference (shared/adapters/feed-sources.ts).
 */
import type { PollReport } from '../../shared/use-cases/poll-calendar-feeds.ts';
import { FUNCTIONS } from '../routes.ts';
import { LocalPoller, localPollMinutes } from './local-poller.ts';
import type { LogLine } from './log.ts';

export type FeedsHandler = () => Promise<PollReport>;

/** Minutes between local polls: ICS_POLL_MINUTES, or the deployed default. */
export function feedPollMinutes(env: NodeJS.ProcessEnv): number {
  return localPollMinutes(env, 'ICS_POLL_MINUTES');
}

/** One line per feed for the console: ids and counts only. */
export function describeFeedPoll(report: PollReport): string[] {
  return report.feeds.map((feed) => {
    const skipped = Object.entries(feed.skipped).map(([reason, ids]) => `${ids.length} ${reason}`);
    const parts = [`${feed.announced.length} announced`, ...(feed.cancelled ? [`${feed.cancelled} cancelled`] : []), ...skipped];
    return feed.status === 'failed' ? `feed ${feed.feedId}: not polled (${feed.failure}); it will be retried` : `feed ${feed.feedId}: ${parts.join(', ')}`;
  });
}

/** The feeds function's schedule, locally. */
export class LocalFeedPoller extends LocalPoller<PollReport> {
  constructor(handler: FeedsHandler, log: LogLine) {
    super({ functionId: FUNCTIONS.feeds.id, handler, logAs: 'feeds', describe: describeFeedPoll, log });
  }
}
