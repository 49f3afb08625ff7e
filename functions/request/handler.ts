/**
 * Request function: SessionCompleted (via an SQS queue that paces SES) → one feedback email.
 * Wiring only: the dispatcher parses each record, the use case decides, the log says what happened.
 */
import { PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { SessionCompleted } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { HmacAddressHasher } from '../../shared/adapters/address-hash.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbSessionStore } from '../../shared/adapters/dynamodb-session-store.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import { DynamoDbOptOutLinkStore } from '../../shared/adapters/dynamodb-opt-out-link-store.ts';
import { ProductEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { randomTokens } from '../../shared/adapters/form-tokens.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { sesMailerFromSettings } from '../../shared/adapters/ses-mailer.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { practiceDomainsOf } from '../../shared/domain/practice-domains.ts';
import { requestFeedback, type RequestFeedbackDeps } from '../../shared/use-cases/request-feedback.ts';
import { recognizeTherapist, type RecognizeTherapistDeps } from '../../shared/use-cases/therapist-directory.ts';

const logger = createLogger('request');
const metrics = createMetrics('request', logger);
const record = metricsRecorder(metrics);
const settings = readSettingsFromEnv(REQUEST_SETTINGS);
const { retentionDays } = readSettingsFromEnv(RETENTION_SETTINGS);

const deps: RequestFeedbackDeps = {
  store: new DynamoDbSessionStore(requireEnv(RESOURCE_ENV.tableName), undefined, retentionDays),
  addresses: new HmacAddressHasher(readSettingsFromEnv(PRIVACY_SETTINGS).addressHashKey),
  mailer: sesMailerFromSettings(settings),
  publisher: new ProductEventPublisher(requireEnv(RESOURCE_ENV.busName)),
  clock,
  tokens: randomTokens,
  optOutLinks: new DynamoDbOptOutLinkStore(requireEnv(RESOURCE_ENV.tableName)),
  policy: settings,
  practiceName: settings.practiceName,
  practiceTimeZone: settings.practiceTimeZone,
  formBaseUrl: settings.formBaseUrl.replace(/\/+$/, ''),
  instrumentId: loadInstruments().active.id,
  claimLeaseSeconds: Number(process.env[RESOURCE_ENV.claimLeaseSeconds] ?? 120),
};

// The setting was validated when it was read: practiceDomainsOf gives its list.
const therapists: RecognizeTherapistDeps = {
  directory: new DynamoDbTherapistDirectory(requireEnv(RESOURCE_ENV.tableName)),
  practiceDomains: practiceDomainsOf(settings.practiceDomains) ?? [],
  clock,
  publisher: deps.publisher,
};

export const handler = queueHandler({
  logger,
  metrics,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(SessionCompleted, async (detail) => {
      const sighting = await recognizeTherapist(detail, therapists);
      // Ids only: neither the directory's address nor the event's is logged.
      if (sighting === 'address-ignored') logger.warn('The event names another address for a registered therapist; the directory’s is kept', { sessionId: detail.sessionId, therapistId: detail.therapistId });
      else if (sighting === 'registered') logger.info('Therapist registered on first sight at a practice domain', { therapistId: detail.therapistId });
      const result = await requestFeedback(detail, deps);
      logger.info('SessionCompleted handled', {
        sessionId: detail.sessionId,
        clientId: detail.clientId,
        outcome: result.outcome,
        ...(result.outcome === 'skipped' ? { reason: result.reason } : {}),
      });
      if (result.outcome === 'requested') record.count(METRIC.feedbackRequestSent);
      else if (result.outcome === 'skipped') record.count(METRIC.feedbackRequestSkipped, { name: METRIC_DIMENSION.reason, value: result.reason });
      else record.count(METRIC.feedbackRequestDuplicate);
    }),
  ],
});
