/**
 * The shared shape of every queue-fed function: Powertools batch processing with partial failures,
 * the Lambda context in every log line, and invalid messages parked with their reason.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { dispatchEvents, type EventHandler } from '../events/dispatch.ts';
import type { DeadLetterSink } from './sqs-dead-letter.ts';

/** Builds the Lambda handler of a function that consumes product or integrator events from SQS. */
export function queueHandler(options: { logger: Logger; deadLetters: DeadLetterSink; handlers: readonly EventHandler[] }) {
  const { logger, deadLetters } = options;
  const dispatch = dispatchEvents(options.handlers, async (message, reason) => {
    // Never log the body: it may carry personal data. The reason names fields, not values.
    logger.warn('Event rejected; sent to the dead-letter queue', { messageId: message.messageId, reason });
    await deadLetters.deadLetter(message.body, reason);
  });
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = (record: SQSRecord) => dispatch(record);
  return middy(async (event: SQSEvent, context: Context) => processPartialResponse(event, handleRecord, processor, { context })).use(
    injectLambdaContext(logger),
  );
}
