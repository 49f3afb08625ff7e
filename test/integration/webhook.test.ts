/**
 * The signed webhook on the local stack: a Standard Webhooks delivery to the hooks function behind
 * the local HTTP API, its secret read with the real SDK from the Secrets Manager stand-in (under
 * IAM enforcement), the event on the bus, the email in the SES emulator.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookSecretCommand } from '../../bin/webhook-secret.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbClientRoster } from '../../shared/adapters/dynamodb-client-roster.ts';
import { documentClient, mailTo, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

// The functions' clock: the secret's cache ages with it. Signatures are timestamped with real time
// (the library checks ±5 minutes against it), which this clock stays close to.
const clock = new ManualClock(new Date());
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 } });

/** Posts a body signed with `secret` (Standard Webhooks), as an EHR would. */
async function deliver(body: unknown, options: { secret?: string; id?: string; at?: Date; signature?: string } = {}) {
  const text = JSON.stringify(body);
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const signature = options.signature ?? new Webhook(options.secret ?? local.stack.webhook.secret).sign(id, at, text);
  const response = await fetch(local.stack.webhook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, id };
}

async function rotate(...args: string[]): Promise<string> {
  const out: string[] = [];
  await webhookSecretCommand([...args, '--bus-endpoint', local.stack.endpoints.bus], { out: (line) => out.push(line), err: () => undefined, now: () => new Date() });
  return out[0] ?? '';
}

it('refuses to create a second secret over the one the stack holds (rotate replaces it without a gap)', async () => {
  await expect(rotate('create')).rejects.toThrow(/already has a webhook secret: use `alliance webhook-secret rotate`/);
});

describe('a signed webhook', () => {
  it('becomes one client email; the same delivery again sends none', async () => {
    const detail = sessionDetail(clock.now());

    const first = await deliver(detail);
    await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });
    const replay = await deliver(detail, { id: first.id });
    await local.stack.waitForIdle();

    expect(first.status).toBe(202);
    expect(replay.status).toBe(200);
    expect(replay.body['message']).toBe('Already received.');
    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(1);
    expect(local.stack.iamDenials()).toEqual([]);
  });

  it('is refused with 401 and sends nothing when its signature is wrong', async () => {
    const detail = sessionDetail(clock.now());

    const forged = await deliver(detail, { secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64') });
    const stale = await deliver(detail, { at: new Date(Date.now() - 6 * 60_000) });
    await local.stack.waitForIdle();

    expect(forged).toMatchObject({ status: 401, body: { message: 'Unauthorized.' } });
    expect(stale).toMatchObject({ status: 401, body: { message: 'Unauthorized.' } });
    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(0);
  });

  it('answers 422 with the reason for a client the roster does not know, and sends nothing', async () => {
    const detail = sessionDetail(clock.now());
    const { client: _client, ...withoutClient } = detail;

    const skipped = await deliver(withoutClient);
    await local.stack.waitForIdle();

    expect(skipped).toMatchObject({ status: 422, body: { reason: 'client-not-on-roster', sessionId: detail.sessionId } });
    expect(JSON.stringify(skipped.body)).not.toContain(detail.client.email);
    expect(await mailTo(local.stack, detail.client.email)).toHaveLength(0);
  });

  it('completes a delivery that names only the client from the roster: one email, to the roster’s address', async () => {
    const detail = sessionDetail(clock.now());
    const { client: _client, ...withoutClient } = detail;
    const table = documentClient(local.stack);
    await new DynamoDbClientRoster(local.stack.tableName, table).put([
      { clientId: detail.clientId, email: 'roster-address@client.example', firstName: 'Rosa', locale: 'es', therapistId: detail.therapistId, active: true, importedAt: new Date().toISOString() },
    ]);
    table.destroy();

    const accepted = await deliver(withoutClient);
    await waitFor(async () => (await mailTo(local.stack, 'roster-address@client.example')).length === 1, { description: 'the feedback email to the roster address' });
    await local.stack.waitForIdle();

    expect(accepted.status).toBe(202);
    // The roster's locale (es) and first name (Rosa) reach the email.
    const mail = (await mailTo(local.stack, 'roster-address@client.example'))[0]!;
    expect(mail.subject).toContain('Una pregunta rápida');
    expect(mail.body.text).toContain('Rosa');
    expect(local.stack.iamDenials()).toEqual([]);
  });

  it('accepts both the new and the previous secret after a rotation, and only the new one once the previous is retired', async () => {
    const previous = local.stack.webhook.secret;
    await deliver(sessionDetail(clock.now()));
    const next = await rotate('rotate');
    // A signature no cached secret matches re-reads the secret, at most every 10 s (forgeries must not each cost a read).
    clock.advance(11_000);

    const withNew = await deliver(sessionDetail(clock.now()), { secret: next });
    const withPrevious = await deliver(sessionDetail(clock.now()), { secret: previous });
    await rotate('retire-previous');
    // The cached value still holds the previous secret until the cache (one minute) runs out.
    clock.advance(61_000);
    const afterRetire = await deliver(sessionDetail(clock.now()), { secret: previous });
    const newAfterRetire = await deliver(sessionDetail(clock.now()), { secret: next });

    expect(next).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(withNew.status).toBe(202);
    expect(withPrevious.status).toBe(202);
    expect(afterRetire.status).toBe(401);
    expect(newAfterRetire.status).toBe(202);
  });
});
