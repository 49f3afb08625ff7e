/**
 * Evaluate function: FeedbackSubmitted and FeedbackExpired → the client's detector record, the
 * session's evaluation, and AllianceRuptureDetected for each alert. Wiring only.
 */
import { DETECTOR_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { FeedbackExpired, FeedbackSubmitted } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { DynamoDbDetectorStore } from '../../shared/adapters/dynamodb-detector-store.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';
import { createLogger } from '../../shared/adapters/powertools.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { evaluateAnswer, evaluateExpiry, type EvaluateDeps } from '../../shared/use-cases/evaluate-feedback.ts';

const logger = createLogger('evaluate');
const instruments = loadInstruments();

const deps: EvaluateDeps = {
  store: new DynamoDbDetectorStore(requireEnv(RESOURCE_ENV.tableName), undefined, readSettingsFromEnv(RETENTION_SETTINGS).retentionDays),
  publisher: new EventBridgePublisher(requireEnv(RESOURCE_ENV.busName)),
  settings: readSettingsFromEnv(DETECTOR_SETTINGS),
  instrument: (id) => instruments.find(id),
};

export const handler = queueHandler({
  logger,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(FeedbackSubmitted, async (detail) => {
      const result = await evaluateAnswer(detail, deps);
      logger.info('Answer evaluated', { sessionId: detail.sessionId, clientId: detail.clientId, ...result });
    }),
    on(FeedbackExpired, async (detail) => {
      // An unanswered session counts against the instrument the practice uses now.
      const result = await evaluateExpiry(detail, deps, instruments.active.id);
      logger.info('Expiry evaluated', { sessionId: detail.sessionId, clientId: detail.clientId, ...result });
    }),
  ],
});
