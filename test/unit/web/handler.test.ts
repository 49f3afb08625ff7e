/**
 * The Lambda entry point with its real wiring (environment, DynamoDB and EventBridge adapters),
 * the AWS clients mocked: the commands it sends are the contract with the table and the bus.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashToken, randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { keys } from '../../../shared/adapters/items/index.ts';
import { httpEvent } from './support/fake-feedback-store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);

const { token } = randomTokens.create();
const optOut = randomTokens.create();
const TOKEN_ITEM = {
  type: 'FormToken',
  sessionId: 's-1',
  clientId: 'c-1',
  therapistId: 't-1',
  locale: 'es',
  expiresAt: '2099-01-01T00:00:00.000Z',
  instrumentId: 'alliance-check-v1',
  sessionEndedAt: '2026-11-25T20:00:00.000Z',
};

/** The keys of the items a request read, with whether the read was consistent. */
function reads(): { pk: unknown; consistent: boolean }[] {
  return dynamo.commandCalls(GetCommand).map((call) => ({ pk: call.args[0].input.Key?.['pk'], consistent: call.args[0].input.ConsistentRead === true }));
}

let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'table');
  vi.stubEnv('BUS_NAME', 'bus');
  vi.stubEnv('PRACTICE_NAME', 'Clínica Río');
  vi.stubEnv('PRACTICE_TIME_ZONE', 'America/New_York');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  ({ handler } = await import('../../../functions/web/handler.ts'));
});

afterAll(() => vi.unstubAllEnvs());

beforeEach(() => {
  dynamo.reset();
  eventBridge.reset();
  dynamo.on(GetCommand, { Key: keys.formToken(hashToken(token)) }).resolves({ Item: TOKEN_ITEM });
  dynamo.on(GetCommand, { Key: keys.optOutLink(optOut.hash) }).resolves({ Item: { type: 'OptOutLink', clientId: 'c-1', locale: 'es' } });
  dynamo.on(GetCommand, { Key: keys.session('s-1') }).resolves({ Item: { pk: 'SESSION#s-1' } });
  dynamo.on(UpdateCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('web handler', () => {
  it('renders the form from a token looked up by its hash, reading only', async () => {
    const response = await handler(httpEvent('GET', `/f/${token}`));

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<html lang="es">');
    expect(response.body).toContain('Clínica Río');
    expect(response.body).toContain('<form method="post"');
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { TableName: 'table', Key: keys.formToken(hashToken(token)) });
    // The token item never changes after its email went out, and a just-answered session shown once
    // more as the form is settled by the post's conditional write: two eventually consistent reads.
    expect(reads()).toEqual([
      { pk: keys.formToken(hashToken(token)).pk, consistent: false },
      { pk: keys.session('s-1').pk, consistent: false },
    ]);
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('records an answer with one conditional write on the session and puts FeedbackSubmitted on the bus', async () => {
    const response = await handler(httpEvent('POST', `/f/${token}`, { body: 'relationship=1&goals=2&approach=3&overall=4&comment=secreto', contentType: 'application/x-www-form-urlencoded' }));

    expect(response.statusCode).toBe(303);
    // Nothing but the token is read: the conditional write is the whole check of the session.
    expect(reads()).toEqual([{ pk: keys.formToken(hashToken(token)).pk, consistent: false }]);
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: keys.session('s-1'),
      ConditionExpression: expect.stringContaining('attribute_not_exists(answeredAt)'),
      ExpressionAttributeValues: expect.objectContaining({
        // `commented` tells the evaluation (the digest's "comment waiting") there is one, without the words.
        ':answer': { instrumentId: 'alliance-check-v1', items: { relationship: 1, goals: 2, approach: 3, overall: 4 }, talk: false, comment: 'secreto', commented: true },
      }),
    });
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ EventBusName: 'bus', Source: 'alliance-feedback', DetailType: 'FeedbackSubmitted' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', instrumentId: 'alliance-check-v1', sessionEndedAt: '2026-11-25T20:00:00.000Z', hasComment: true, talk: false });
    expect(entry.Detail).not.toContain('secreto');
  });

  it('answers 409 when the table says the session was answered in the meantime', async () => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { answeredAt: { S: '2026-11-25T21:00:00.000Z' } } }));

    const response = await handler(httpEvent('POST', `/f/${token}`, { body: 'relationship=1&goals=2&approach=3&overall=4', contentType: 'application/x-www-form-urlencoded' }));

    expect(response.statusCode).toBe(409);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('answers 410 when the table says the expiry was announced in the meantime', async () => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { expiredAt: { S: '2026-11-25T21:00:00.000Z' } } }));

    const response = await handler(httpEvent('POST', `/f/${token}`, { body: 'relationship=1&goals=2&approach=3&overall=4', contentType: 'application/x-www-form-urlencoded' }));

    expect(response.statusCode).toBe(410);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('thanks the client once the session’s answer is read back (eventually consistent when it already shows the answer)', async () => {
    dynamo.on(GetCommand, { Key: keys.session('s-1') }).resolves({ Item: { pk: 'SESSION#s-1', answeredAt: '2026-11-25T21:00:00.000Z' } });

    const response = await handler(httpEvent('GET', `/f/${token}/thanks`));

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<html lang="es">');
    expect(reads()).toEqual([
      { pk: keys.formToken(hashToken(token)).pk, consistent: false },
      { pk: keys.session('s-1').pk, consistent: false },
    ]);
  });

  it('opts the client out on CLIENT#id and announces ClientUnsubscribed, from the opt-out link’s own item', async () => {
    const response = await handler(httpEvent('POST', `/u/${optOut.token}`, { body: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' }));

    expect(reads()).toEqual([{ pk: keys.optOutLink(optOut.hash).pk, consistent: false }]);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { Key: keys.optOutLink(optOut.hash) });

    expect(response.statusCode).toBe(200);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { Key: keys.client('c-1'), UpdateExpression: expect.stringContaining('optedOutAt = if_not_exists(optedOutAt, :now)') });
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.DetailType).toBe('ClientUnsubscribed');
  });
});
