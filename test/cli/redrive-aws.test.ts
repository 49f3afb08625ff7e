/**
 * `alliance redrive` against AWS, with mocked EventBridge and SQS clients: the routes' dead-letter
 * queues found from the stack's rules, reasons read without taking the messages, SQS's move task
 * for a queue's own dead-letter queue, and receive → send → delete for EventBridge's.
 */
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoverDeadLetterQueues, redriveOnAws, type AwsRedriveOptions } from '../../bin/redrive.ts';

const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const clients = { eventBridge: new EventBridgeClient({ region: 'eu-west-1' }), sqs: new SQSClient({ region: 'eu-west-1' }) };

const ARN = (name: string) => `arn:aws:sqs:eu-west-1:123456789012:${name}`;
const URL_OF = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;
const EVENT = JSON.stringify({ 'detail-type': 'FeedbackSubmitted', id: 'e-1', source: 'alliance-feedback', detail: { comment: 'private' } });

function stack() {
  eventBridge.on(ListRulesCommand, { EventBusName: 'alliance-feedback' }).resolves({ Rules: [{ Name: 'AllianceFeedback-EvaluateRule-1' }] });
  eventBridge.on(ListRulesCommand, { EventBusName: 'default' }).resolves({ Rules: [] });
  eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'Target0', Arn: ARN('evaluate-queue'), DeadLetterConfig: { Arn: ARN('evaluate-delivery-dlq') } }] });
  sqs.on(GetQueueUrlCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: URL_OF(input.QueueName) }));
  sqs.on(GetQueueAttributesCommand, { QueueUrl: URL_OF('evaluate-queue') }).resolves({ Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: ARN('evaluate-dlq'), maxReceiveCount: 8 }) } });
  sqs.on(GetQueueAttributesCommand, { QueueUrl: URL_OF('evaluate-dlq') }).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
  sqs.on(GetQueueAttributesCommand, { QueueUrl: URL_OF('evaluate-delivery-dlq') }).resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
}

const OPTIONS: AwsRedriveOptions = { busNames: ['alliance-feedback', 'default'], stackName: 'AllianceFeedback', queue: undefined, dryRun: false, waitSeconds: 5, pollMs: 0 };

beforeEach(() => {
  eventBridge.reset();
  sqs.reset();
  stack();
});

async function run(options: Partial<AwsRedriveOptions> = {}): Promise<string[]> {
  const lines: string[] = [];
  await redriveOnAws(clients, { ...OPTIONS, ...options }, (line) => lines.push(line));
  return lines;
}

describe('redrive on AWS', () => {
  it('finds both dead-letter queues of each rule of the stack, on the product bus and the default one', async () => {
    const pairs = await discoverDeadLetterQueues(clients, OPTIONS.busNames, 'AllianceFeedback');

    expect(eventBridge.commandCalls(ListRulesCommand).map((call) => call.args[0].input)).toEqual([
      { EventBusName: 'alliance-feedback', NamePrefix: 'AllianceFeedback-' },
      { EventBusName: 'default', NamePrefix: 'AllianceFeedback-' },
    ]);
    expect(pairs.map((pair) => [pair.kind, pair.deadLetterUrl, pair.sourceArn])).toEqual([
      ['failed', URL_OF('evaluate-dlq'), ARN('evaluate-queue')],
      ['undelivered', URL_OF('evaluate-delivery-dlq'), ARN('evaluate-queue')],
    ]);
  });

  it('shows the reasons without taking the messages, and moves nothing on a dry run', async () => {
    sqs.on(ReceiveMessageCommand, { QueueUrl: URL_OF('evaluate-dlq') }).resolves({
      Messages: [
        { MessageId: 'm-1', Body: EVENT },
        { MessageId: 'm-2', Body: EVENT, MessageAttributes: { reason: { DataType: 'String', StringValue: 'detail.items: must be a record' } } },
      ],
    });
    sqs.on(ReceiveMessageCommand, { QueueUrl: URL_OF('evaluate-delivery-dlq') }).resolves({
      Messages: [{ MessageId: 'm-3', Body: EVENT, MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' }, ERROR_MESSAGE: { DataType: 'String', StringValue: 'KMS access denied' } } }],
    });

    const lines = await run({ dryRun: true });

    expect(lines).toEqual([
      'evaluate-dlq → evaluate-queue (failed in the function): about 2 messages',
      '  1 × FeedbackSubmitted: failed too often (maxReceiveCount; the function’s logs say why)',
      '  1 × FeedbackSubmitted: rejected by the function: detail.items: must be a record',
      'evaluate-delivery-dlq → evaluate-queue (not delivered by EventBridge): about 1 message',
      '  1 × FeedbackSubmitted: not delivered by EventBridge: SDK_CLIENT_ERROR KMS access denied',
      'Dry run: about 3 messages parked; moved nothing.',
    ]);
    for (const call of sqs.commandCalls(ReceiveMessageCommand)) expect(call.args[0].input.VisibilityTimeout).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(lines.join('\n')).not.toContain('private');
  });

  it('moves the function’s dead letters back with an SQS move task and waits for it', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'task-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1 }] })
      .resolves({ Results: [{ TaskHandle: 'task-1', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 2 }] });

    const lines = await run({ queue: URL_OF('evaluate-dlq') });

    expect(sqs).toHaveReceivedCommandWith(StartMessageMoveTaskCommand, { SourceArn: ARN('evaluate-dlq'), DestinationArn: ARN('evaluate-queue') });
    expect(lines).toContain('  moved 2');
  });

  it('sends undelivered events to the route’s queue and deletes only what arrived', async () => {
    sqs.on(ReceiveMessageCommand, { QueueUrl: URL_OF('evaluate-delivery-dlq'), VisibilityTimeout: 60 })
      .resolvesOnce({ Messages: [{ MessageId: 'm-3', Body: EVENT, ReceiptHandle: 'r-3' }] })
      .resolves({ Messages: [] });
    sqs.on(ReceiveMessageCommand, { QueueUrl: URL_OF('evaluate-delivery-dlq'), VisibilityTimeout: 0 }).resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'n-1', MD5OfMessageBody: '' }], Failed: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });

    const lines = await run({ queue: 'evaluate-delivery-dlq' });

    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: URL_OF('evaluate-queue'), Entries: [{ Id: '0', MessageBody: EVENT }] });
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageBatchCommand, { QueueUrl: URL_OF('evaluate-delivery-dlq'), Entries: [{ Id: '0', ReceiptHandle: 'r-3' }] });
    expect(lines).toContain('  moved 1');
  });

  it('names the stack’s dead-letter queues when asked for another one', async () => {
    await expect(run({ queue: 'someone-elses-dlq' })).rejects.toThrow(/someone-elses-dlq is not a dead-letter queue of stack AllianceFeedback; these are:\n {2}https:.*evaluate-dlq\n {2}https:.*evaluate-delivery-dlq/);
  });
});
