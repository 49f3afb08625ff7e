/**
 * The local stand-in for the calendar feed poller's schedule: `npm start` with ICS_FEEDS set polls
 * the feeds once at start-up and then every ICS_POLL_MINUTES (default 15, as deployed), by invoking
 * the same feeds function the schedule invokes on AWS, as that function (IAM enforced). The
 * function reads ICS_FEEDS instead of the secret: the only local difference (shared/adapters/feed-sources.ts).
 */
import type { PollReport } from '../../shared/use-cases/poll-calendar-feeds.ts';
import { FUNCTIONS } from '../routes.ts';
import { asFunction } from './function-context.ts';
import type { LogLine } from './log.ts';

export type FeedsHandler = () => Promise<PollReport>;

/** Minutes between local polls: ICS_POLL_MINUTES, or the deployed default. */
export function localPollMinutes(env: NodeJS.ProcessEnv): number {
  const minutes = Number(env['ICS_POLL_MINUTES'] ?? 15);
  return Number.isFinite(minutes) && minutes > 0 ? minutes : 15;
}

/** One line per feed for the console: ids and counts only. */
export function describeFeedPoll(report: PollReport): string[] {
  return report.feeds.map((feed) => {
    const skipped = Object.entries(feed.skipped).map(([reason, ids]) => `${ids.length} ${reason}`);
    const parts = [`${feed.announced.length} announced`, ...(feed.cancelled ? [`${feed.cancelled} cancelled`] : []), ...skipped];
    return feed.status === 'failed' ? `feed ${feed.feedId}: not polled (${feed.failure}); it will be retried` : `feed ${feed.feedId}: ${parts.join(', ')}`;
  });
}

export class LocalFeedPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PollReport> | undefined;
  private readonly invoke: FeedsHandler;

  constructor(
    handler: FeedsHandler,
    private readonly log: LogLine,
  ) {
    this.invoke = asFunction(FUNCTIONS.feeds.id, handler);
  }

  /** Polls now (one poll at a time: a second call waits for the running one). */
  poll(): Promise<PollReport> {
    this.running ??= this.invoke().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Polls at once, then every `minutes`, logging each poll; failures are logged, not thrown. */
  start(minutes: number): void {
    const pollAndLog = () =>
      this.poll().then(
        (report) => describeFeedPoll(report).forEach((line) => this.log('feeds', line)),
        (error: unknown) => {
          // A feed that could not be read fails the invocation; the report still covers every feed.
          const report = (error as { report?: PollReport }).report;
          if (report) describeFeedPoll(report).forEach((line) => this.log('feeds', line));
          else this.log('feeds', `poll failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    void pollAndLog();
    this.timer = setInterval(pollAndLog, minutes * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
