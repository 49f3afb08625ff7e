/**
 * Follow-up function: schedules the reminder and expiry when a request goes out, cancels them when
 * the client answers, and otherwise sends the one reminder and announces the expiry when their time
 * comes. Wiring only.
 */
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { FeedbackExpiryTimeReached, FeedbackReminderTimeReached, FeedbackRequested, FeedbackSubmitted } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbFollowUpStore } from '../../shared/adapters/dynamodb-follow-up-store.ts';
import { DynamoDbOptOutLinkStore } from '../../shared/adapters/dynamodb-opt-out-link-store.ts';
import { ProductEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { EventBridgeScheduler } from '../../shared/adapters/eventbridge-scheduler.ts';
import { hashToken, randomTokens } from '../../shared/adapters/form-tokens.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { sesMailerFromSettings } from '../../shared/adapters/ses-mailer.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { METRIC } from '../../shared/metrics.ts';
import { cancelFollowUps, expireRequest, scheduleFollowUps, sendReminder, type ExpiryOutcome, type FollowUpDeps, type ReminderOutcome } from '../../shared/use-cases/follow-up.ts';

const logger = createLogger('follow-up');
const metrics = createMetrics('follow-up', logger);
const record = metricsRecorder(metrics);
const settings = readSettingsFromEnv(REQUEST_SETTINGS);
const publisher = new ProductEventPublisher(requireEnv(RESOURCE_ENV.busName));

/** Schedule names are limited to 64 characters and a session id may have 128: a hash of it keys them. */
function scheduleKey(sessionId: string): string {
  return hashToken(sessionId).slice(0, 40);
}

const deps: FollowUpDeps = {
  store: new DynamoDbFollowUpStore(requireEnv(RESOURCE_ENV.tableName)),
  scheduler: new EventBridgeScheduler(
    {
      groupName: requireEnv(RESOURCE_ENV.scheduleGroupName),
      busArn: requireEnv(RESOURCE_ENV.busArn),
      roleArn: requireEnv(RESOURCE_ENV.schedulerRoleArn),
      deadLetterQueueArn: requireEnv(RESOURCE_ENV.schedulerDeadLetterQueueArn),
    },
    publisher,
    () => clock.now(),
  ),
  mailer: sesMailerFromSettings(settings),
  publisher,
  clock,
  tokens: randomTokens,
  optOutLinks: new DynamoDbOptOutLinkStore(requireEnv(RESOURCE_ENV.tableName)),
  reminderHours: settings.reminderHours,
  practiceName: settings.practiceName,
  practiceTimeZone: settings.practiceTimeZone,
  formBaseUrl: settings.formBaseUrl.replace(/\/+$/, ''),
  instrumentId: loadInstruments().active.id,
  scheduleKey,
};

/** Logs a schedule's outcome; an answer announced again (or that could not be) is worth a warning. */
function logAnswered(message: string, sessionId: string, outcome: ReminderOutcome | ExpiryOutcome): void {
  if (outcome === 'not-due') {
    // A schedule that fired early, or an event nobody scheduled: nothing done, re-armed for the stored time.
    logger.warn(`${message}: the event came before the stored due time, so nothing was done and it was re-armed for that time`, { sessionId, outcome });
  } else if (outcome === 'answer-reannounced') {
    logger.warn(`${message}: the answer had no evaluation, so FeedbackSubmitted was announced again`, { sessionId, outcome });
    record.count(METRIC.answerReannounced);
  } else if (outcome === 'answer-unannounceable') {
    logger.warn(`${message}: the answer has no evaluation and its stored form does not fit FeedbackSubmitted`, { sessionId, outcome });
  } else {
    logger.info(message, { sessionId, outcome });
  }
}

export const handler = queueHandler({
  logger,
  metrics,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(FeedbackRequested, async (detail) => {
      await scheduleFollowUps(detail, deps, scheduleKey(detail.sessionId));
      logger.info('Follow-ups scheduled', { sessionId: detail.sessionId });
    }),
    on(FeedbackSubmitted, async (detail) => {
      await cancelFollowUps(scheduleKey(detail.sessionId), deps);
      logger.info('Follow-ups cancelled', { sessionId: detail.sessionId });
    }),
    on(FeedbackReminderTimeReached, async (detail) => {
      const outcome = await sendReminder(detail.sessionId, deps);
      logAnswered('Reminder handled', detail.sessionId, outcome);
      if (outcome === 'sent') record.count(METRIC.reminderSent);
    }),
    on(FeedbackExpiryTimeReached, async (detail) => {
      const outcome = await expireRequest(detail.sessionId, deps);
      logAnswered('Expiry handled', detail.sessionId, outcome);
      if (outcome === 'expired') record.count(METRIC.feedbackExpired);
    }),
  ],
});
