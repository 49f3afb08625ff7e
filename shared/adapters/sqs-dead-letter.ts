/**
 * Sends a message that can never succeed straight to the dead-letter queue, with the reason as a
 * message attribute, instead of letting it fail its way there through every retry.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

let sharedSqsClient: SQSClient | undefined;

/** The container-wide SQS client (endpoint from `AWS_ENDPOINT_URL_SQS` when set). */
export function getSqsClient(): SQSClient {
  sharedSqsClient ??= new SQSClient({});
  return sharedSqsClient;
}

export interface DeadLetterSink {
  /** Parks a message that cannot be processed; `reason` must not contain personal data. */
  deadLetter(body: string, reason: string): Promise<void>;
}

export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = getSqsClient(),
  ) {}

  async deadLetter(body: string, reason: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
      }),
    );
  }
}
