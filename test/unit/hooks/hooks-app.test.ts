/**
 * The hooks function's route with plain fakes: Standard Webhooks verification (±5 minutes), the
 * answers (202, 200 replay, 400 fields, 401, 413, 415, 422), replay safety, and logs without
 * personal data.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FUNCTIONS, HTTP_ROUTES } from '../../../infra/routes.ts';
import { createHooksApp, MAX_HOOK_BODY_BYTES, SESSIONS_HOOK_PATH } from '../../../functions/hooks/app.ts';
import { verifyWithSecrets, WebhookSecretFormatError } from '../../../shared/adapters/webhook-secret.ts';
import { SessionCompleted } from '../../../shared/events/contracts.ts';
import { METRIC } from '../../../shared/metrics.ts';
import type { RosterClient } from '../../../shared/use-cases/ports.ts';

const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const NOW = new Date('2026-12-06T10:00:00Z');

const BODY = {
  sessionId: 's-100',
  clientId: 'c-42',
  therapistId: 't-7',
  endedAt: '2026-12-06T09:00:00Z',
  client: { email: 'ana.client@example.com', firstName: 'Ana', locale: 'es' },
  therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
};

function setup(options: { roster?: RosterClient[]; publishFails?: boolean; secretNotSet?: boolean } = {}) {
  const published: unknown[] = [];
  const claimed = new Map<string, string>();
  const logs: unknown[][] = [];
  const counts: unknown[][] = [];
  const released: string[] = [];
  const app = createHooksApp({
    verifier: {
      verify: async (body, headers) => {
        if (options.secretNotSet) throw new WebhookSecretFormatError('the webhook secret has no valid "current" whsec_ secret');
        return verifyWithSecrets([SECRET], body, headers) === 'valid';
      },
    },
    deliveries: {
      claim: async ({ webhookId, sessionId }) => {
        if (claimed.has(webhookId)) return 'seen';
        claimed.set(webhookId, sessionId);
        return 'new';
      },
      release: async (webhookId) => {
        released.push(webhookId);
        claimed.delete(webhookId);
      },
    },
    publisher: {
      publish: async (contract, detail) => {
        if (options.publishFails) throw new Error('bus down');
        published.push({ detailType: contract.detailType, detail });
      },
    },
    clock: { now: () => new Date() },
    roster: { find: async (clientId) => options.roster?.find((entry) => entry.clientId === clientId) },
    therapists: { find: async (therapistId) => (therapistId === 't-7' ? { therapistId, email: 'lee@practice.example', name: 'Dr. Lee' } : undefined) },
    logger: { info: (...args: unknown[]) => logs.push(args), warn: (...args: unknown[]) => logs.push(args), error: (...args: unknown[]) => logs.push(args) } as never,
    metrics: { count: (...args: unknown[]) => counts.push(args), seconds: () => undefined },
  });
  return { app, published, claimed, released, logs, counts };
}

function signedEvent(body: unknown, options: { id?: string; at?: Date; secret?: string; headers?: Record<string, string>; text?: string; method?: string } = {}): APIGatewayProxyEventV2 {
  const text = options.text ?? JSON.stringify(body);
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const at = options.at ?? new Date();
  const signature = new Webhook(options.secret ?? SECRET).sign(id, at, text);
  return {
    rawPath: SESSIONS_HOOK_PATH,
    requestContext: { http: { method: options.method ?? 'POST' } },
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
      ...options.headers,
    },
    body: text,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

const json = (result: { body?: string }) => JSON.parse(result.body ?? '{}') as Record<string, unknown>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('POST /hooks/v1/sessions', () => {
  it('is the path infra/routes.ts gives the hooks function (API Gateway and the local web server)', () => {
    expect(HTTP_ROUTES.filter((route) => route.target === FUNCTIONS.hooks).map((route) => `${route.method} ${route.path}`)).toEqual([`POST ${SESSIONS_HOOK_PATH}`]);
  });

  it('accepts a signed session with 202 and publishes SessionCompleted once', async () => {
    const { app, published } = setup();

    const result = await app(signedEvent(BODY));

    expect(result.statusCode).toBe(202);
    expect(json(result)).toEqual({ message: 'Accepted.', sessionId: 's-100' });
    expect(published).toEqual([{ detailType: SessionCompleted.detailType, detail: BODY }]);
  });

  it('answers a replayed webhook-id with 200 and publishes nothing more', async () => {
    const { app, published } = setup();

    await app(signedEvent(BODY, { id: 'msg_1' }));
    const replay = await app(signedEvent(BODY, { id: 'msg_1', at: new Date(NOW.getTime() + 60_000) }));

    expect(replay.statusCode).toBe(200);
    expect(json(replay)['message']).toBe('Already received.');
    expect(published).toHaveLength(1);
  });

  it('refuses a signature made with another secret with a bare 401', async () => {
    const { app, published } = setup();

    const result = await app(signedEvent(BODY, { secret: OTHER_SECRET }));

    expect(result.statusCode).toBe(401);
    expect(json(result)).toEqual({ message: 'Unauthorized.' });
    expect(published).toEqual([]);
  });

  it('refuses a body changed after signing with a bare 401', async () => {
    const { app } = setup();
    const event = signedEvent(BODY);

    const result = await app({ ...event, body: JSON.stringify({ ...BODY, sessionId: 's-999' }) });

    expect(result.statusCode).toBe(401);
    expect(json(result)).toEqual({ message: 'Unauthorized.' });
  });

  it('refuses a delivery without signature headers with the same bare 401', async () => {
    const { app } = setup();
    const event = signedEvent(BODY);
    const { ['webhook-signature']: _dropped, ...headers } = event.headers;

    const result = await app({ ...event, headers });

    expect(result.statusCode).toBe(401);
    expect(json(result)).toEqual({ message: 'Unauthorized.' });
  });

  it.each([
    ['6 minutes old', -6 * 60_000, 401],
    ['6 minutes ahead', 6 * 60_000, 401],
    ['4 minutes old', -4 * 60_000, 202],
    ['4 minutes ahead', 4 * 60_000, 202],
  ])('answers a timestamp %s with %i', async (_label, offsetMs, status) => {
    const { app } = setup();

    const result = await app(signedEvent(BODY, { at: new Date(NOW.getTime() + offsetMs) }));

    expect(result.statusCode).toBe(status);
  });

  it('lists the bad fields with 400, by path and message, never with their values', async () => {
    const { app, published } = setup();
    const bad = { ...BODY, sessionId: 'has spaces!', endedAt: 'yesterday', client: { ...BODY.client, email: 'not-an-address-ana' } };
    delete (bad as Record<string, unknown>)['clientId'];

    const result = await app(signedEvent(bad));

    expect(result.statusCode).toBe(400);
    const errors = json(result)['errors'] as { path: string; message: string }[];
    expect(errors.map((error) => error.path).sort()).toEqual(['clientId', 'endedAt', 'sessionId']);
    expect(errors.find((error) => error.path === 'clientId')?.message).toBe('is required');
    expect(result.body).not.toMatch(/has spaces|yesterday|not-an-address/);
    expect(published).toEqual([]);
  });

  it('lists a bad client email with 400 once the session is otherwise complete, without the value', async () => {
    const { app } = setup();

    const result = await app(signedEvent({ ...BODY, client: { ...BODY.client, email: 'ana-at-example' } }));

    expect(result.statusCode).toBe(400);
    expect(json(result)['errors']).toEqual([{ path: 'client.email', message: expect.any(String) }]);
    expect(result.body).not.toContain('ana-at-example');
  });

  it('says what a field of the wrong type must be', async () => {
    const { app } = setup();

    const result = await app(signedEvent({ ...BODY, sessionId: 100, client: 'ana' }));

    expect(json(result)['errors']).toEqual([
      { path: 'sessionId', message: 'must be a string' },
      { path: 'client', message: 'must be an object' },
    ]);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const { app } = setup();

    const result = await app(signedEvent(undefined, { text: 'sessionId=s-1' }));

    expect(result.statusCode).toBe(400);
    expect(json(result)['errors']).toEqual([{ path: '(body)', message: 'must be a JSON object' }]);
  });

  it('refuses another content type with 415 and a body over the limit with 413', async () => {
    const { app } = setup();

    const form = await app(signedEvent(BODY, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    const large = await app(signedEvent(undefined, { text: JSON.stringify({ ...BODY, padding: 'x'.repeat(MAX_HOOK_BODY_BYTES) }) }));

    expect(form.statusCode).toBe(415);
    expect(large.statusCode).toBe(413);
  });

  it('answers 405 to another method', async () => {
    const { app } = setup();

    const result = await app(signedEvent(BODY, { method: 'GET' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers?.['allow']).toBe('POST');
  });

  it('completes a session whose client fields are omitted from the roster', async () => {
    const { app, published } = setup({ roster: [{ clientId: 'c-42', email: 'ana.roster@example.com', firstName: 'Ana', locale: 'es', therapistId: 't-7', active: true }] });

    const result = await app(signedEvent({ sessionId: 's-101', clientId: 'c-42', endedAt: BODY.endedAt }));

    expect(result.statusCode).toBe(202);
    expect(published).toEqual([
      {
        detailType: 'SessionCompleted',
        detail: { sessionId: 's-101', clientId: 'c-42', therapistId: 't-7', endedAt: BODY.endedAt, client: { email: 'ana.roster@example.com', firstName: 'Ana', locale: 'es' }, therapist: { email: 'lee@practice.example', name: 'Dr. Lee' } },
      },
    ]);
  });

  it.each([
    ['client-not-on-roster', []],
    ['client-inactive', [{ clientId: 'c-42', email: 'ana.roster@example.com', therapistId: 't-7', active: false }]],
    ['therapist-unknown', [{ clientId: 'c-42', email: 'ana.roster@example.com', therapistId: 't-unknown', active: true }]],
  ] as const)('skips with 422 %s, counts AppointmentSkipped and remembers nothing', async (reason, roster) => {
    const { app, published, claimed, counts } = setup({ roster: [...roster] });

    const result = await app(signedEvent({ sessionId: 's-102', clientId: 'c-42', endedAt: BODY.endedAt }));

    expect(result.statusCode).toBe(422);
    expect(json(result)).toMatchObject({ reason, sessionId: 's-102' });
    expect(result.body).not.toContain('ana.roster@example.com');
    expect(counts).toEqual([[METRIC.appointmentSkipped, { name: 'reason', value: reason }]]);
    expect(published).toEqual([]);
    // Not remembered: the sender's retry after the roster is fixed goes through.
    expect(claimed.size).toBe(0);
  });

  it('forgets the delivery when the publish fails, so the sender’s retry is acted on', async () => {
    const { app, claimed, released } = setup({ publishFails: true });

    await expect(app(signedEvent(BODY, { id: 'msg_retry' }))).rejects.toThrow('bus down');

    expect(released).toEqual(['msg_retry']);
    expect(claimed.size).toBe(0);
  });

  it('answers 503 (retry later) while the stack’s placeholder is still the secret', async () => {
    const { app, published } = setup({ secretNotSet: true });

    const result = await app(signedEvent(BODY));

    expect(result.statusCode).toBe(503);
    expect(json(result)).toEqual({ message: 'The webhook is not set up yet.' });
    expect(published).toEqual([]);
  });

  it('logs no email, name or body of any delivery', async () => {
    const { app, logs } = setup();

    await app(signedEvent(BODY));
    await app(signedEvent(BODY));
    await app(signedEvent(BODY, { secret: OTHER_SECRET }));
    await app(signedEvent({ ...BODY, client: { ...BODY.client, email: 'broken-ana' } }));
    await app(signedEvent({ sessionId: 's-103', clientId: 'c-42', endedAt: BODY.endedAt }));
    // Skipped (nobody knows therapist t-x's address), with the client's details in the body.
    await app(signedEvent({ ...BODY, sessionId: 's-104', therapistId: 't-x', therapist: undefined }));

    expect(logs.length).toBeGreaterThanOrEqual(6);
    const text = JSON.stringify(logs);
    for (const personal of ['ana.client@example.com', 'Ana', 'lee@practice.example', 'Dr. Lee', 'broken-ana']) expect(text).not.toContain(personal);
  });
});
