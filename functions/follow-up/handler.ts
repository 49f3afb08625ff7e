/**
 * Follow-up function: schedules the reminder and expiry when a request goes out, then sends the
 * one reminder and announces the expiry when their time comes. Wiring only.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { FeedbackExpiryTimeReached, FeedbackReminderTimeReached, FeedbackRequested } from '../../shared/events/contracts.ts';
import { parseEvent } from '../../shared/events/parse-event.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbFollowUpStore } from '../../shared/adapters/dynamodb-follow-up-store.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { EventBridgeScheduler } from '../../shared/adapters/eventbridge-scheduler.ts';
import { hashToken, randomTokens } from '../../shared/adapters/form-tokens.ts';
import { createLogger } from '../../shared/adapters/powertools.ts';
import { SesMailer } from '../../shared/adapters/ses-mailer.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { expireRequest, scheduleFollowUps, sendReminder, type FollowUpDeps } from '../../shared/use-cases/follow-up.ts';

const logger = createLogger('follow-up');
const settings = readSettingsFromEnv(REQUEST_SETTINGS);
const deadLetters = new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl));
const publisher = new EventBridgePublisher(requireEnv(RESOURCE_ENV.busName));

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
  mailer: new SesMailer(settings.senderAddress, settings.practiceName, process.env[RESOURCE_ENV.sesConfigurationSet] || undefined),
  publisher,
  clock,
  tokens: randomTokens,
  reminderHours: settings.reminderHours,
  practiceName: settings.practiceName,
  formBaseUrl: settings.formBaseUrl.replace(/\/+$/, ''),
};

async function handleRecord(record: SQSRecord): Promise<void> {
  const detailType = detailTypeOf(record.body);
  if (detailType === FeedbackRequested.detailType) {
    const parsed = parseEvent(record.body, FeedbackRequested);
    if (!parsed.ok) return reject(record, parsed.reason);
    // Schedule names are limited to 64 characters; a session id may have 128.
    await scheduleFollowUps(parsed.detail, deps, hashToken(parsed.detail.sessionId).slice(0, 40));
    logger.info('Follow-ups scheduled', { sessionId: parsed.detail.sessionId });
    return;
  }
  if (detailType === FeedbackReminderTimeReached.detailType) {
    const parsed = parseEvent(record.body, FeedbackReminderTimeReached);
    if (!parsed.ok) return reject(record, parsed.reason);
    const outcome = await sendReminder(parsed.detail.sessionId, deps);
    logger.info('Reminder handled', { sessionId: parsed.detail.sessionId, outcome });
    return;
  }
  if (detailType === FeedbackExpiryTimeReached.detailType) {
    const parsed = parseEvent(record.body, FeedbackExpiryTimeReached);
    if (!parsed.ok) return reject(record, parsed.reason);
    const outcome = await expireRequest(parsed.detail.sessionId, deps);
    logger.info('Expiry handled', { sessionId: parsed.detail.sessionId, outcome });
    return;
  }
  return reject(record, `unexpected detail-type ${JSON.stringify(detailType ?? null).slice(0, 80)}`);
}

function detailTypeOf(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)['detail-type'];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function reject(record: SQSRecord, reason: string): Promise<void> {
  logger.warn('Follow-up event rejected; sent to the dead-letter queue', { messageId: record.messageId, reason });
  await deadLetters.deadLetter(record.body, reason);
}

const processor = new BatchProcessor(EventType.SQS);

export const handler = middy(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, handleRecord, processor, { context }),
).use(injectLambdaContext(logger));
