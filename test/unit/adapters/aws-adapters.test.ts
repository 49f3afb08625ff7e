import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbSessionStore } from '../../../shared/adapters/dynamodb-session-store.ts';
import { formatAddress, SesMailer, sesMailerFromSettings } from '../../../shared/adapters/ses-mailer.ts';
import { SqsDeadLetterSink } from '../../../shared/adapters/sqs-dead-letter.ts';

const ses = mockClient(SESv2Client);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  ses.reset();
  sqs.reset();
  dynamo.reset();
});

describe('SesMailer', () => {
  it('sends text and HTML parts with the unsubscribe headers through the configuration set', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const mailer = new SesMailer('feedback@practice.example', 'Riverside Practice', 'alliance-feedback', new SESv2Client({}));

    await mailer.send({ to: 'ana@example.com', subject: 'Hi', text: 'text', html: '<p>html</p>', headers: { 'List-Unsubscribe': '<https://x/u/t>' } });

    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: '"Riverside Practice" <feedback@practice.example>',
      Destination: { ToAddresses: ['ana@example.com'] },
      ConfigurationSetName: 'alliance-feedback',
      Content: {
        Simple: {
          Subject: { Data: 'Hi', Charset: 'UTF-8' },
          Body: { Text: { Data: 'text', Charset: 'UTF-8' }, Html: { Data: '<p>html</p>', Charset: 'UTF-8' } },
          Headers: [{ Name: 'List-Unsubscribe', Value: '<https://x/u/t>' }],
        },
      },
    });
  });

  it('lets SES throttling surface so the queue retries', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException' }));
    const mailer = new SesMailer('feedback@practice.example', 'P', undefined, new SESv2Client({}));

    await expect(mailer.send({ to: 'a@b.example', subject: 's', text: 't', html: 'h' })).rejects.toThrow('Maximum sending rate exceeded.');
  });

  it('cannot be made to add a header through the practice name', () => {
    expect(formatAddress('Care"\r\nBcc: evil@x.example <', 'f@p.example')).toBe('"CareBcc: evil@x.example" <f@p.example>');
  });
});

describe('sesMailerFromSettings', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('sends from the practice through the configuration set named in the environment', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    vi.stubEnv('SES_CONFIGURATION_SET', 'alliance-feedback');

    await sesMailerFromSettings({ senderAddress: 'feedback@practice.example', practiceName: 'Riverside Practice' }).send({ to: 'a@b.example', subject: 's', text: 't', html: 'h' });

    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, { FromEmailAddress: '"Riverside Practice" <feedback@practice.example>', ConfigurationSetName: 'alliance-feedback' });
  });

  it('sends without a configuration set when the variable is empty, as in the local stack', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    vi.stubEnv('SES_CONFIGURATION_SET', '');

    await sesMailerFromSettings({ senderAddress: 'feedback@practice.example', practiceName: 'P' }).send({ to: 'a@b.example', subject: 's', text: 't', html: 'h' });

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.ConfigurationSetName).toBeUndefined();
  });
});

describe('SqsDeadLetterSink', () => {
  it('parks the message with its reason as an attribute', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    await new SqsDeadLetterSink('https://sqs.local/dlq', new SQSClient({})).deadLetter('{"x":1}', 'invalid SessionCompleted detail: endedAt: must be ...');

    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: 'https://sqs.local/dlq',
      MessageBody: '{"x":1}',
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'invalid SessionCompleted detail: endedAt: must be ...' } },
    });
  });
});

describe('DynamoDbSessionStore', () => {
  const session = {
    sessionId: 's-1',
    clientId: 'c-1',
    therapistId: 't-1',
    endedAt: '2026-11-25T20:50:00.000Z',
    client: { email: 'ana@example.com', locale: 'en' as const },
    therapist: { email: 'lee@practice.example' },
  };
  const store = () => new DynamoDbSessionStore('table', DynamoDBDocumentClient.from(new DynamoDBClient({})));

  it('claims a session with a conditional put keyed on the session id, already requested with its planned link', async () => {
    dynamo.on(PutCommand).resolves({});

    const result = await store().claimSession(session, { tokenHash: 'h', requestedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-11-28T21:00:00.000Z' }, new Date('2026-11-25T21:00:00Z'), 60);

    expect(result).toEqual({ claimed: true });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { TableName: 'table', ConditionExpression: 'attribute_not_exists(pk)' });
    const item = dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(item).toMatchObject({ pk: 'SESSION#s-1', sk: 'SESSION', status: 'requested', tokenHash: 'h', claimExpiresAt: '2026-11-25T21:01:00.000Z' });
  });

  it('reports an existing session as not claimed, with its status', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: { status: { S: 'skipped' } } }));

    expect(await store().claimSession(session, { tokenHash: 'h', requestedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-11-28T21:00:00.000Z' }, new Date(), 60)).toEqual({ claimed: false, status: 'skipped' });
  });

  it('reads the earlier link’s token (consistently) to learn whether a duplicate’s email went out', async () => {
    const old = { status: { S: 'requested' }, clientId: { S: 'c-1' }, therapistId: { S: 't-1' }, requestedAt: { S: 'r' }, expiresAt: { S: 'e' }, tokenHash: { S: 'old' }, claimExpiresAt: { S: '2026-11-25T21:01:00.000Z' } };
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: old }));
    dynamo.on(GetCommand).resolves({ Item: { pk: 'TOKEN#old' } });

    const result = await store().claimSession(session, { tokenHash: 'h', requestedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-11-28T21:00:00.000Z' }, new Date('2026-11-25T21:00:30Z'), 60);

    expect(result).toEqual({ claimed: false, status: 'requested', request: { clientId: 'c-1', therapistId: 't-1', requestedAt: 'r', expiresAt: 'e' } });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { Key: { pk: 'TOKEN#old', sk: 'TOKEN' }, ConsistentRead: true });
  });

  it.each([
    [{ optedOutAt: { S: '2026-11-01' } }, 'opted-out'],
    [{ undeliverableAt: { S: '2026-11-01' } }, 'undeliverable'],
    [{ lastRequestEndedAt: { S: '2026-11-25T12:00:00Z' } }, 'throttled'],
  ])('explains a refused client slot from the item it found (%o → %s)', async (item, reason) => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: item }));

    const result = await store().reserveClientRequest({ clientId: 'c-1', sessionId: 's-1', endedAt: session.endedAt, window: { after: 'a', before: 'b' }, addressHash: 'h' });

    expect(result).toEqual({ reserved: false, reason });
  });

  it('lets other DynamoDB errors surface', async () => {
    dynamo.on(PutCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' }));

    await expect(store().claimSession(session, { tokenHash: 'h', requestedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-11-28T21:00:00.000Z' }, new Date(), 60)).rejects.toThrow('Throughput exceeds');
  });
});
