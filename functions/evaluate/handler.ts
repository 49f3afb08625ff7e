/**
 * Evaluate function: FeedbackSubmitted and FeedbackExpired → the client's detector record, the
 * session's evaluation, the therapist's caseload summary of the client (the weekly digest's), and
 * AllianceRuptureDetected for each alert. Wiring only.
 */
import { DETECTOR_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { ALERT_KINDS, FeedbackExpired, FeedbackSubmitted, leadingAlertKind } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbCaseloadStore } from '../../shared/adapters/dynamodb-caseload-store.ts';
import { DynamoDbClientHistoryStore } from '../../shared/adapters/dynamodb-client-history-store.ts';
import { DynamoDbDetectorStore } from '../../shared/adapters/dynamodb-detector-store.ts';
import { ProductEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { evaluateAnswer, evaluateExpiry, type EvaluateDeps, type EvaluateOutcome } from '../../shared/use-cases/evaluate-feedback.ts';

const logger = createLogger('evaluate');
const metrics = createMetrics('evaluate', logger);
const record = metricsRecorder(metrics);
const instruments = loadInstruments();

const { retentionDays } = readSettingsFromEnv(RETENTION_SETTINGS);
const deps: EvaluateDeps = {
  store: new DynamoDbDetectorStore(requireEnv(RESOURCE_ENV.tableName), undefined, retentionDays),
  caseload: new DynamoDbCaseloadStore(requireEnv(RESOURCE_ENV.tableName), undefined, retentionDays),
  clock,
  history: new DynamoDbClientHistoryStore(requireEnv(RESOURCE_ENV.tableName), undefined, retentionDays),
  publisher: new ProductEventPublisher(requireEnv(RESOURCE_ENV.busName)),
  settings: readSettingsFromEnv(DETECTOR_SETTINGS),
  instrument: (id) => instruments.find(id),
};

export const handler = queueHandler({
  logger,
  metrics,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(FeedbackSubmitted, async (detail) => {
      const result = await evaluateAnswer(detail, deps);
      if (ignored(FeedbackSubmitted.detailType, detail, result)) return;
      logger.info('Answer evaluated', { sessionId: detail.sessionId, clientId: detail.clientId, ...result });
      if (result.outcome === 'evaluated') record.count(METRIC.answerEvaluated);
      if (result.outcome === 'client-erased') record.count(METRIC.erasedClientEventSkipped);
      recordAlert(result);
    }),
    on(FeedbackExpired, async (detail) => {
      // An unanswered session counts against the instrument the practice uses now.
      const result = await evaluateExpiry(detail, deps, instruments.active.id);
      if (ignored(FeedbackExpired.detailType, detail, result)) return;
      logger.info('Expiry evaluated', { sessionId: detail.sessionId, clientId: detail.clientId, ...result });
      if (result.outcome === 'client-erased') record.count(METRIC.erasedClientEventSkipped);
      recordAlert(result);
    }),
  ],
});

/**
 * Logs and counts an event the stored session does not bear out (ids and the reason only: the
 * event's values may be anyone's words), and says whether it was one.
 */
function ignored(detailType: string, detail: { sessionId: string }, result: EvaluateOutcome): boolean {
  if (result.outcome !== 'ignored') return false;
  logger.warn('Event does not match the stored session; nothing evaluated', { detailType, sessionId: detail.sessionId, because: result.because });
  record.count(METRIC.eventIgnored);
  return true;
}

/**
 * Counts the alert a first evaluation announced, under its leading kind (the one the therapist's
 * email is about); a redelivered event re-announces but is not counted again.
 */
function recordAlert(result: EvaluateOutcome): void {
  const kind = leadingAlertKind(ALERT_KINDS.filter((candidate) => result.alerts.includes(candidate)));
  if (result.outcome === 'evaluated' && kind !== undefined) record.count(METRIC.alertRaised, { name: METRIC_DIMENSION.kind, value: kind });
}
