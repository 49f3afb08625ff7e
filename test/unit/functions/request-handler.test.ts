import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const ses = mockClient(SESv2Client);
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const context = { functionName: 'request', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function record(messageId: string, detail: unknown): SQSRecord {
  return {
    messageId,
    body: JSON.stringify({ version: '0', id: `e-${messageId}`, 'detail-type': 'SessionCompleted', source: 'ehr.example', detail }),
  } as SQSRecord;
}

function detail(sessionId: string, email = 'ana@example.com') {
  return {
    sessionId,
    clientId: `c-${sessionId}`,
    therapistId: 't-7',
    endedAt: new Date(Date.now() - 3_600_000).toISOString(),
    client: { email, firstName: 'Ana' },
    therapist: { email: 'lee@practice.example' },
  };
}

let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
let logged: string[];

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'table');
  vi.stubEnv('BUS_NAME', 'bus');
  vi.stubEnv('DEAD_LETTER_QUEUE_URL', 'https://sqs.local/dlq');
  vi.stubEnv('FORM_BASE_URL', 'https://forms.practice.example/');
  vi.stubEnv('PRACTICE_TIME_ZONE', 'America/New_York');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  ({ handler } = (await import('../../../functions/request/handler.ts')) as unknown as { handler: typeof handler });
});

afterAll(() => vi.unstubAllEnvs());

beforeEach(() => {
  for (const mock of [ses, eventBridge, sqs, dynamo]) mock.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  // The do-not-contact list: the address is not on it.
  dynamo.on(GetCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'd' });
  logged = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
  }
  vi.spyOn(console, 'info').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
});

describe('request handler', () => {
  it('emails the client with a link under the configured base URL', async () => {
    const result = await handler({ Records: [record('1', detail('s-1'))] }, context);

    expect(result.batchItemFailures).toEqual([]);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    const text = ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Content!.Simple!.Body!.Text!.Data!;
    expect(text).toMatch(/https:\/\/forms\.practice\.example\/f\/[A-Za-z0-9_-]{43}\n/);
  });

  it('parks an invalid event in the dead-letter queue with its reason, and sends nothing', async () => {
    const result = await handler({ Records: [record('1', { ...detail('s-1'), endedAt: 'yesterday' })] }, context);

    expect(result.batchItemFailures).toEqual([]);
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: 'https://sqs.local/dlq',
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'invalid SessionCompleted detail: endedAt: must be an ISO-8601 timestamp with an offset' } },
    });
  });

  it('reports only the failed record for retry when SES throttles one of a batch', async () => {
    ses
      .on(SendEmailCommand)
      .resolvesOnce({ MessageId: 'm' })
      .rejectsOnce(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException' }))
      .resolves({ MessageId: 'm' });

    const result = await handler({ Records: [record('1', detail('s-1')), record('2', detail('s-2')), record('3', detail('s-3'))] }, context);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    // The failed attempt gave its claim back so the retry can send.
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'SESSION#s-2', sk: 'SESSION' } });
  });

  it('treats an already handled session as done without mail', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: { status: { S: 'requested' } } }));

    const result = await handler({ Records: [record('1', detail('s-1'))] }, context);

    expect(result.batchItemFailures).toEqual([]);
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('logs outcomes without the client’s email address or name', async () => {
    await handler({ Records: [record('1', detail('s-1', 'private.person@example.com')), record('2', { ...detail('s-2', 'other.person@example.com'), sessionId: 'bad id' })] }, context);

    const output = logged.join('\n');
    expect(output).toContain('SessionCompleted handled');
    expect(output).toContain('Event rejected');
    expect(output).not.toContain('private.person');
    expect(output).not.toContain('other.person');
    expect(output).not.toContain('Ana');
  });
});
