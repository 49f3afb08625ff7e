/**
 * The shared shape of every queue-fed function: Powertools batch processing with partial failures,
 * the Lambda context in every log line, metrics flushed once per invocation, and invalid messages
 * parked with their reason.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { dispatchEvents, type EventHandler } from '../events/dispatch.ts';
import { METRIC } from '../metrics.ts';
import { metricsRecorder } from './powertools.ts';
import type { DeadLetterSink } from './sqs-dead-letter.ts';

/** Builds the Lambda handler of a function that consumes product or integrator events from SQS. */
export function queueHandler(options: { logger: Logger; metrics?: Metrics; deadLetters: DeadLetterSink; handlers: readonly EventHandler[] }) {
  const { logger, metrics, deadLetters } = options;
  const record = metrics && metricsRecorder(metrics);
  const dispatch = dispatchEvents(options.handlers, async (message, reason) => {
    // Never log the body: it may carry personal data. The reason names fields, not values.
    logger.warn('Event rejected; sent to the dead-letter queue', { messageId: message.messageId, reason });
    await deadLetters.deadLetter(message.body, reason);
    record?.count(METRIC.eventRejected);
  });
  const handleRecord = async (message: SQSRecord) => {
    try {
      await dispatch(message);
    } catch (error) {
      // The queue retries the record and, after maxReceiveCount, parks it without a reason: this
      // line is that reason, found by the message id. The error's name only: messages can carry
      // values from the event (SES names the address it refused).
      logger.warn('Record failed; the queue retries it', {
        messageId: message.messageId,
        receiveCount: Number(message.attributes?.ApproximateReceiveCount ?? 0),
        error: error instanceof Error ? error.name : 'Error',
      });
      throw error;
    }
  };
  // A processor per invocation: it keeps the batch's records and failures as state, and a shared one
  // would mix up two batches handled at once by one module instance (the local stack runs a route's
  // concurrent invocations in one process; Lambda's multi-concurrency modes do the same), acking a
  // failed record as done.
  const handler = middy(async (event: SQSEvent, context: Context) =>
    processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), { context }),
  ).use(
    injectLambdaContext(logger),
  );
  // Flushed after the batch, also when it fails as a whole; a batch without metrics writes nothing.
  return metrics ? handler.use(logMetrics(metrics, { throwOnEmptyMetrics: false })) : handler;
}
