/**
 * Feeds function: EventBridge Scheduler (every 15 minutes by default) → one poll of the practice's
 * calendar feeds → SessionCompleted, from the product's inbound source, for each instance that
 * ended. Wiring only: the use case decides, the log and the metrics say what happened (feed ids,
 * session ids and counts; never a URL, an event's title or a client's details).
 *
 * A feed that could not be read fails the invocation after every other feed was polled, so the
 * function-error alarm tells the administrator; its cursor stayed, the next poll covers the gap.
 */
import { clock } from '../../shared/adapters/clock.ts';
import { calendarFeedStates } from '../../shared/adapters/dynamodb-poll-state-store.ts';
import { InboundEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { feedSourcesFromEnv } from '../../shared/adapters/feed-sources.ts';
import { inboundDirectories } from '../../shared/adapters/inbound-directories.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { pollCalendarFeeds, type PollReport, type SkippedInstance } from '../../shared/use-cases/poll-calendar-feeds.ts';

const logger = createLogger('feeds');
const metrics = createMetrics('feeds', logger);
const record = metricsRecorder(metrics);
const { maxSessionAgeHours } = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours });
const tableName = requireEnv(RESOURCE_ENV.tableName);
const state = calendarFeedStates(tableName);
const publisher = new InboundEventPublisher(requireEnv(RESOURCE_ENV.busName));
// The secret on AWS, ICS_FEEDS in the local stack (read once, like every variable: the local stack
// loads every function into one process environment).
const sources = feedSourcesFromEnv(process.env, { secretArn: RESOURCE_ENV.calendarFeedsSecretArn, icsFeeds: RESOURCE_ENV.icsFeeds });

/** Feeds that failed in a way the next poll does not fix by itself. */
export class CalendarFeedsFailedError extends Error {
  override name = 'CalendarFeedsFailedError';
  constructor(
    message: string,
    /** The whole poll's report (ids and counts): the other feeds were polled. */
    readonly report: PollReport,
  ) {
    super(message);
  }
}

/** The scheduler's input is ignored: a poll always covers each feed since its own last poll. */
export async function handler(): Promise<PollReport> {
  const report = await pollCalendarFeeds({
    sources,
    state,
    ...inboundDirectories(tableName),
    publisher,
    clock,
    maxSessionAgeHours,
  });
  for (const feed of report.feeds) {
    logger.info('Calendar feed polled', { ...feed });
    for (const _ of feed.announced) record.count(METRIC.sessionAnnounced);
    for (const [reason, ids] of Object.entries(feed.skipped) as [SkippedInstance, string[]][]) {
      for (const _ of ids) record.count(METRIC.appointmentSkipped, { name: METRIC_DIMENSION.reason, value: reason });
    }
    if (feed.status === 'failed') record.count(METRIC.calendarFeedFailed);
  }
  metrics.publishStoredMetrics();
  const failed = report.feeds.filter((feed) => feed.status === 'failed' && feed.failure !== 'concurrent-poll');
  if (failed.length > 0) throw new CalendarFeedsFailedError(`calendar feeds not polled: ${failed.map((feed) => `${feed.feedId} (${feed.failure})`).join(', ')}`, report);
  return report;
}
