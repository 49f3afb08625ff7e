/**
 * The request pipeline end to end on the local stack: events sent with the real EventBridge
 * client, routed by infra/routes.ts to the real request handler, mail in the SES emulator, state
 * in DynamoDB Local. The stack runs on free ports, so a developer's `npm start` is left alone.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { InboundEventPublisher, ProductEventPublisher, WrongPublisherError } from '../../shared/adapters/eventbridge-publisher.ts';
import { DEFAULT_BUS_NAME, PRODUCT_SOURCE, SessionCompleted, SessionCompletedDetailSchema } from '../../shared/events/contracts.ts';
import { awaitMail, mailbox, mailedLink, mailTo, putEntries, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const HOUR = 3_600_000;
const REQUEST_ROUTE = 'session-completed-to-request';
// Words that would tell someone reading over a shoulder (or a lock screen) what the mail is about.
const HEALTH_WORDS = /therap|session|counsel|mental|health|psych|treat|clinic|diagnos|sesi[oó]n|salud|terapia/i;

const clock = new ManualClock(new Date());
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 } });

async function sessionItem(sessionId: string): Promise<Record<string, unknown> | undefined> {
  return (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.session(sessionId) }))).Item;
}

async function deadLetterFor(eventId: string) {
  return waitFor(() => local.stack.deadLetters.find((entry) => entry.eventId === eventId), { timeoutMs: 10_000, description: `a dead letter for ${eventId}` });
}

describe('a completed session', () => {
  it('becomes exactly one email to the client, with a link to the local form and one-click unsubscribe', async () => {
    const detail = sessionDetail(clock.now());

    await sendSession(local.events, detail);
    await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });
    await local.stack.waitForIdle();

    const mails = await mailTo(local.stack, detail.client.email);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail!.destination.to).toEqual([detail.client.email]);
    expect(mail!.subject).not.toMatch(HEALTH_WORDS);
    expect(mail!.body.text).toBeTruthy();
    expect(mail!.body.html).toBeTruthy();
    const link = new RegExp(`http://127\\.0\\.0\\.1:${local.stack.ports.web}/f/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`);
    const token = link.exec(mail!.body.text!)?.[1];
    expect(token).toBeDefined();
    expect(mail!.body.html).toContain(`${local.stack.endpoints.web}/f/${token}`);
    const headers = Object.fromEntries((mail!.headers ?? []).map((header) => [header.name, header.value]));
    // The opt-out link has a token of its own: the header mail providers read cannot open the form.
    const optOut = new RegExp(`${local.stack.endpoints.web}/u/([A-Za-z0-9_-]{43})`).exec(mail!.body.text!)?.[1];
    expect(optOut).toBeDefined();
    expect(optOut).not.toBe(token);
    expect(headers['List-Unsubscribe']).toBe(`<${local.stack.endpoints.web}/u/${optOut}>`);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('links to a page the web function serves', async () => {
    const detail = sessionDetail(clock.now());
    await sendSession(local.events, detail);
    const url = mailedLink(await awaitMail(local.stack, detail.client.email), 'f');

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('sends no second email when the same session arrives again as a new event', async () => {
    const detail = sessionDetail(clock.now());
    await sendSession(local.events, detail);
    await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the first email' });

    await sendSession(local.events, detail);
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
  });

  it('sends one email when the same session arrives three times at once', async () => {
    const detail = sessionDetail(clock.now());

    await Promise.all([sendSession(local.events, detail), sendSession(local.events, detail), sendSession(local.events, detail)]);
    await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the email' });
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
    expect(await sessionItem(detail.sessionId)).toMatchObject({ status: 'requested' });
  });

  it('is skipped as throttled when the same client had a session two hours earlier', async () => {
    const first = sessionDetail(clock.now(), { endedAt: new Date(clock.now().getTime() - 3 * HOUR).toISOString() });
    const second = { ...sessionDetail(clock.now()), clientId: first.clientId, client: first.client, endedAt: new Date(clock.now().getTime() - HOUR).toISOString() };
    await sendSession(local.events, first);
    await waitFor(async () => (await mailTo(local.stack, first.client.email)).length > 0, { description: 'the first email' });

    await sendSession(local.events, second);
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, first.client.email)).toHaveLength(1);
    expect(await sessionItem(second.sessionId)).toMatchObject({ status: 'skipped', skipReason: 'throttled' });
  });

  it('is skipped as stale when it ended eight days ago', async () => {
    const detail = sessionDetail(clock.now(), { endedAt: new Date(clock.now().getTime() - 8 * 24 * HOUR).toISOString() });

    await sendSession(local.events, detail);
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(0);
    expect(await sessionItem(detail.sessionId)).toMatchObject({ status: 'skipped', skipReason: 'stale' });
  });

  it('sends nothing to a client who opted out', async () => {
    const detail = sessionDetail(clock.now());
    await local.table.send(
      new UpdateCommand({
        TableName: local.stack.tableName,
        Key: keys.client(detail.clientId),
        UpdateExpression: 'SET optedOutAt = :at',
        ExpressionAttributeValues: { ':at': new Date(clock.now().getTime() - 24 * HOUR).toISOString() },
      }),
    );

    await sendSession(local.events, detail);
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(0);
    expect(await sessionItem(detail.sessionId)).toMatchObject({ status: 'skipped', skipReason: 'opted-out' });
  });
});

describe('a SessionCompleted from one of the product’s own inbound adapters', () => {
  it('published through the inbound publisher becomes one email to the client', async () => {
    const detail = SessionCompletedDetailSchema.parse(sessionDetail(clock.now()));

    await new InboundEventPublisher(DEFAULT_BUS_NAME, local.events).publish(SessionCompleted, detail);
    await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
    expect(await sessionItem(detail.sessionId)).toMatchObject({ status: 'requested' });
  });

  it('put with the product’s own source from outside the stack is refused at the bus and reaches no function', async () => {
    const detail = SessionCompletedDetailSchema.parse(sessionDetail(clock.now()));

    // What the product's one publisher did before there were two, now from outside: the bus's
    // policy refuses the product's source to everyone but the product's roles (and its
    // SessionCompleted rule would not match it either).
    const result = await putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: PRODUCT_SOURCE, DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }]);
    await local.stack.waitForIdle();

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(0);
    expect(await sessionItem(detail.sessionId)).toBeUndefined();
  });

  it('is refused by the product’s own publisher before it reaches the bus', async () => {
    const detail = SessionCompletedDetailSchema.parse(sessionDetail(clock.now()));

    // @ts-expect-error: the product's publisher takes product events only.
    await expect(new ProductEventPublisher(DEFAULT_BUS_NAME, local.events).publish(SessionCompleted, detail)).rejects.toThrow(WrongPublisherError);
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(0);
  });
});

describe('an invalid SessionCompleted', () => {
  it('with a bad email sends no mail and lands in the dead-letter queue once, with a reason naming the field', async () => {
    const detail = sessionDetail(clock.now(), { client: { email: 'not-an-email', firstName: 'Ana' } });
    const mailBefore = (await mailbox(local.stack)).length;

    const eventId = await sendSession(local.events, detail);
    const deadLetter = await deadLetterFor(eventId);
    await local.stack.waitForIdle();

    expect(deadLetter).toMatchObject({ route: REQUEST_ROUTE, origin: 'function', detailType: SessionCompleted.detailType, receiveCount: 1 });
    expect(deadLetter.reason).toContain('client.email');
    expect(await mailbox(local.stack)).toHaveLength(mailBefore);
    expect(await sessionItem(detail.sessionId)).toBeUndefined();
  });

  it('with a missing field lands in the dead-letter queue with a reason naming the field', async () => {
    const { therapistId: _omitted, ...detail } = sessionDetail(clock.now());
    const mailBefore = (await mailbox(local.stack)).length;

    const eventId = await sendSession(local.events, detail);
    const deadLetter = await deadLetterFor(eventId);
    await local.stack.waitForIdle();

    expect(deadLetter).toMatchObject({ route: REQUEST_ROUTE, origin: 'function', receiveCount: 1 });
    expect(deadLetter.reason).toContain('therapistId');
    expect(await mailbox(local.stack)).toHaveLength(mailBefore);
  });

  it('is listed at /dead-letters without its body', async () => {
    const detail = sessionDetail(clock.now(), { client: { email: 'still-not-an-email', firstName: 'Zoë' } });
    const eventId = await sendSession(local.events, detail);
    await deadLetterFor(eventId);

    const listing = await (await fetch(local.stack.endpoints.deadLetters)).text();

    expect(JSON.parse(listing).deadLetters.map((entry: { eventId?: string }) => entry.eventId)).toContain(eventId);
    expect(listing).not.toContain('still-not-an-email');
    expect(listing).not.toContain('Zoë');
    expect(listing).not.toContain(detail.sessionId);
  });
});

describe('the local bus', () => {
  it('answers entries without a DetailType or with a Detail that is not a JSON object with per-entry errors', async () => {
    const result = await putEntries(local.events, [
      { EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(sessionDetail(clock.now())) },
      { EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', Detail: '{}' },
      { EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: 'NothingRoutesThis', Detail: 'not json' },
      { EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: 'NothingRoutesThis', Detail: '[1, 2]' },
    ]);

    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries).toHaveLength(4);
    expect(result.Entries![0]!.EventId).toBeDefined();
    expect(result.Entries![1]).toMatchObject({ ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringContaining('DetailType') });
    expect(result.Entries![2]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(result.Entries![3]).toMatchObject({ ErrorCode: 'MalformedDetail' });
  });

  it('answers an entry an EHR integration may not put (any detail-type but SessionCompleted) with a per-entry error', async () => {
    const result = await putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: 'NothingRoutesThis', Detail: '{}' }]);

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries![0]).toMatchObject({ ErrorCode: 'NotAuthorizedForDetailTypeException', ErrorMessage: expect.stringContaining('detail type') });
  });

  it('answers an entry for a bus that does not exist with a per-entry error', async () => {
    const result = await putEntries(local.events, [{ EventBusName: 'no-such-bus', Source: 'ehr.example', DetailType: 'X', Detail: '{}' }]);

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries![0]).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
  });

  it('refuses more than ten entries in one request', async () => {
    const entry = { EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: 'X', Detail: '{}' };

    await expect(putEntries(local.events, Array.from({ length: 11 }, () => entry))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses a request over 256 KB', async () => {
    const detail = JSON.stringify({ padding: 'x'.repeat(256 * 1024) });

    await expect(putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: 'X', Detail: detail }])).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('refuses SendMessage to a queue it does not have', async () => {
    const sqs = new SQSClient({ endpoint: local.stack.endpoints.bus, region: local.stack.region, credentials: LOCAL_CREDENTIALS });

    await expect(sqs.send(new SendMessageCommand({ QueueUrl: `${local.stack.endpoints.bus}/000000000000/nope`, MessageBody: 'x' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
    sqs.destroy();
  });
});

describe('the web server', () => {
  it('answers /health with every part up', async () => {
    const response = await fetch(local.stack.endpoints.health);
    const report = (await response.json()) as { status: string; parts: Record<string, { state: string }> };

    expect(response.status).toBe(200);
    expect(report.status).toBe('ok');
    expect(Object.values(report.parts).map((part) => part.state)).toEqual(['up', 'up', 'up', 'up']);
  });
});
