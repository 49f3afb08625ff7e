/**
 * Request function: SessionCompleted (via an SQS queue that paces SES) → one feedback email.
 * Wiring only: parse each record, call the use case, log the outcome.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { SessionCompleted } from '../../shared/events/contracts.ts';
import { parseEvent } from '../../shared/events/parse-event.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbSessionStore } from '../../shared/adapters/dynamodb-session-store.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { randomTokens } from '../../shared/adapters/form-tokens.ts';
import { createLogger } from '../../shared/adapters/powertools.ts';
import { SesMailer } from '../../shared/adapters/ses-mailer.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { requestFeedback, type RequestFeedbackDeps } from '../../shared/use-cases/request-feedback.ts';

const logger = createLogger('request');
const settings = readSettingsFromEnv(REQUEST_SETTINGS);
const deadLetters = new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl));

const deps: RequestFeedbackDeps = {
  store: new DynamoDbSessionStore(requireEnv(RESOURCE_ENV.tableName)),
  mailer: new SesMailer(settings.senderAddress, settings.practiceName, process.env[RESOURCE_ENV.sesConfigurationSet] || undefined),
  publisher: new EventBridgePublisher(requireEnv(RESOURCE_ENV.busName)),
  clock,
  tokens: randomTokens,
  policy: settings,
  practiceName: settings.practiceName,
  formBaseUrl: settings.formBaseUrl.replace(/\/+$/, ''),
  claimLeaseSeconds: Number(process.env[RESOURCE_ENV.claimLeaseSeconds] ?? 120),
};


const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  const parsed = parseEvent(record.body, SessionCompleted);
  if (!parsed.ok) {
    // Invalid input never succeeds on retry: park it with its reason now instead of looping.
    logger.warn('SessionCompleted rejected; sent to the dead-letter queue', { messageId: record.messageId, reason: parsed.reason });
    await deadLetters.deadLetter(record.body, parsed.reason);
    return;
  }
  const result = await requestFeedback(parsed.detail, deps);
  logger.info('SessionCompleted handled', {
    sessionId: parsed.detail.sessionId,
    clientId: parsed.detail.clientId,
    outcome: result.outcome,
    ...(result.outcome === 'skipped' ? { reason: result.reason } : {}),
  });
}

export const handler = middy(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, handleRecord, processor, { context }),
).use(injectLambdaContext(logger));
