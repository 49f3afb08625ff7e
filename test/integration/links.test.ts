/**
 * Links and limits on the local stack (IAM enforced): each link does its one job and no other, a
 * browser on another site cannot post for the client, and an old acknowledge link acknowledges
 * nothing. Mail comes from the SES emulator, state from DynamoDB Local.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { hashToken } from '../../shared/adapters/form-tokens.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { awaitMail, sendSession, sessionDetail } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const DAY = 86_400_000;
const FORM = 'application/x-www-form-urlencoded';
const COMPLETE = 'relationship=8&goals=7&approach=9&overall=10';
const TOKEN = '[A-Za-z0-9_-]{43}';

const clock = new ManualClock(new Date());
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000 });

interface MailedLinks {
  sessionId: string;
  clientId: string;
  formToken: string;
  optOutToken: string;
  listUnsubscribe: string | undefined;
}

/** A session for a new client, and the links of the email it brought. */
async function requestFeedback(overrides: Partial<Record<string, unknown>> = {}): Promise<MailedLinks> {
  const detail = sessionDetail(clock.now(), overrides);
  await sendSession(local.events, detail);
  const mail = await awaitMail(local.stack, detail.client.email);
  const text = mail.body.text!;
  const headers = Object.fromEntries((mail.headers ?? []).map((header) => [header.name, header.value]));
  return {
    sessionId: detail.sessionId,
    clientId: detail.clientId,
    formToken: new RegExp(`/f/(${TOKEN})`).exec(text)![1]!,
    optOutToken: new RegExp(`/u/(${TOKEN})`).exec(text)![1]!,
    listUnsubscribe: headers['List-Unsubscribe'],
  };
}

const web = (path: string, init: RequestInit = {}) => fetch(`${local.stack.endpoints.web}${path}`, { redirect: 'manual', ...init });
const post = (path: string, body: string, headers: Record<string, string> = {}) => web(path, { method: 'POST', body, headers: { 'content-type': FORM, ...headers } });

async function item(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  return (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: key, ConsistentRead: true }))).Item;
}

describe('the opt-out link', () => {
  it('has a token of its own, in the visible link and the List-Unsubscribe header alike', async () => {
    const links = await requestFeedback();

    expect(links.optOutToken).not.toBe(links.formToken);
    expect(links.listUnsubscribe).toBe(`<${local.stack.endpoints.web}/u/${links.optOutToken}>`);
    expect(await item(keys.optOutLink(hashToken(links.optOutToken)))).toMatchObject({ type: 'OptOutLink', clientId: links.clientId });
  });

  it('does not open the form: the token a mail provider reads in the header cannot answer for the client', async () => {
    const links = await requestFeedback();
    const headerToken = new RegExp(`/u/(${TOKEN})>`).exec(links.listUnsubscribe ?? '')![1]!;

    expect((await web(`/f/${headerToken}`)).status).toBe(404);
    expect((await post(`/f/${headerToken}`, COMPLETE)).status).toBe(404);
    await local.stack.waitForIdle();
    expect((await item(keys.session(links.sessionId)))?.['answeredAt']).toBeUndefined();
  });

  it('is the only link that opts out: the form token does not', async () => {
    const links = await requestFeedback();

    expect((await web(`/u/${links.formToken}`)).status).toBe(404);
    expect((await post(`/u/${links.formToken}`, 'List-Unsubscribe=One-Click')).status).toBe(404);
    expect((await item(keys.client(links.clientId)))?.['optedOutAt']).toBeUndefined();
  });

  it('opts out with an RFC 8058 one-click post from a mail provider (no Sec-Fetch-Site)', async () => {
    const links = await requestFeedback();

    const response = await post(`/u/${links.optOutToken}`, 'List-Unsubscribe=One-Click');

    expect(response.status).toBe(200);
    expect((await item(keys.client(links.clientId)))?.['optedOutAt']).toBe(clock.now().toISOString());
  });
});

describe('a post from a browser on another site', () => {
  it('is refused at the form with a readable page, and nothing is stored', async () => {
    const links = await requestFeedback();

    const response = await post(`/f/${links.formToken}`, COMPLETE, { 'sec-fetch-site': 'cross-site' });

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('Sent from another website');
    await local.stack.waitForIdle();
    expect((await item(keys.session(links.sessionId)))?.['answeredAt']).toBeUndefined();
    // The client's own page still takes the answer.
    expect((await post(`/f/${links.formToken}`, COMPLETE, { 'sec-fetch-site': 'same-origin' })).status).toBe(303);
  });

  it('is refused at the opt-out link, and the client stays subscribed', async () => {
    const links = await requestFeedback();

    expect((await post(`/u/${links.optOutToken}`, 'List-Unsubscribe=One-Click', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await item(keys.client(links.clientId)))?.['optedOutAt']).toBeUndefined();
  });
});

describe('the thank-you page', () => {
  it('does not thank a client who has not answered, and does once they have', async () => {
    const links = await requestFeedback();

    const before = await web(`/f/${links.formToken}/thanks`);
    expect(before.status).toBe(303);
    expect(await before.text()).not.toContain('Thank you');
    expect(new URL(before.headers.get('location')!, `${local.stack.endpoints.web}/f/${links.formToken}/thanks`).pathname).toBe(`/f/${links.formToken}`);

    const answered = await post(`/f/${links.formToken}`, COMPLETE, { 'sec-fetch-site': 'same-origin' });
    const after = await web(`/f/${links.formToken}/${answered.headers.get('location')!.split('/').at(-1)}`);
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('<h1>Thank you</h1>');
  });
});

describe('the acknowledge link', () => {
  it('acknowledges nothing once it is older than acknowledgeLinkDays (30 by default)', async () => {
    const therapist = `t-${Date.now()}@practice.example`;
    const links = await requestFeedback({ therapistId: therapist.split('@')[0], therapist: { email: therapist, name: 'Dr. Lee' } });
    // Far below anything usual: a low-rating alert on the first answer.
    expect((await post(`/f/${links.formToken}`, 'relationship=1&goals=1&approach=1&overall=1')).status).toBe(303);
    const alert = await awaitMail(local.stack, therapist, { description: 'the alert email', timeoutMs: 20_000 });
    const ackToken = new RegExp(`/a/(${TOKEN})`).exec(alert.body.text!)![1]!;
    const started = clock.now();
    try {
      clock.set(new Date(started.getTime() + 30 * DAY + 60_000));

      const page = await web(`/a/${ackToken}`);
      const posted = await post(`/a/${ackToken}`, '');

      expect(page.status).toBe(410);
      expect(posted.status).toBe(410);
      expect(await posted.text()).toContain('This acknowledge link has expired');
      await local.stack.waitForIdle();
      const link = await item(keys.alertLink(hashToken(ackToken)));
      expect(link).toMatchObject({ type: 'AlertLink', clientId: links.clientId });
      expect(link?.['acknowledgedAt']).toBeUndefined();
    } finally {
      clock.set(started);
    }
  }, 60_000);
});
