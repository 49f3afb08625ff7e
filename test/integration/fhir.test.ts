/**
 * FHIR R4 inbound on the local stack, end to end: the fhir function (the one its schedule invokes on
 * AWS) gets a token from the local FHIR stand-in with a signed client assertion (the key from the
 * Secrets Manager stand-in), searches finished encounters, reads the Patient, and announces
 * SessionCompleted from the inbound source; the request function emails the client. The same
 * encounter again sends nothing; an expired token is renewed within the poll; a 429 is waited out;
 * a server that stays down fails the poll without losing its window. IAM is enforced throughout.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Encounter, Patient } from '@medplum/fhirtypes';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import { INBOUND_SOURCE } from '../../shared/events/contracts.ts';
import { runCli } from './support/cli.ts';
import { mailTo } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';
import { notificationBundle } from '../support/fhir-notifications.ts';

const clock = new ManualClock(new Date('2026-10-12T12:00:00Z'));
const local = useLocalStack({ clock, schedulerIntervalMs: 3_600_000, fhir: { port: 0, fixtures: false } });

const patient = (id: string, email: string): Patient => ({ resourceType: 'Patient', id, name: [{ use: 'usual', given: ['Sam'] }], telecom: [{ system: 'email', value: email }] });
const encounter = (id: string, patientId: string): Encounter => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { code: 'AMB' },
  subject: { reference: `Patient/${patientId}` },
  participant: [{ type: [{ coding: [{ code: 'PPRF' }] }], individual: { reference: 'Practitioner/pr-1' } }],
  period: { start: new Date(clock.now().getTime() - 3_600_000).toISOString(), end: new Date(clock.now().getTime() - 600_000).toISOString() },
});

/** PUT as a demo or the EHR's own users would: over HTTP, no token. */
async function put(resource: Patient | Encounter): Promise<void> {
  const response = await fetch(`${local.stack.fhir!.baseUrl}/${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
  expect(response.ok).toBe(true);
}

const announced = () => local.published.filter((event) => event['detail-type'] === 'SessionCompleted');

beforeAll(async () => {
  await new DynamoDbTherapistDirectory(local.stack.tableName, local.table).save({ therapistId: 'pr-1', email: 'dana@practice.example', name: 'Dana' }, clock.now().toISOString());
});

it('sends one client email for a finished encounter within one poll', async () => {
  await put(patient('pt-1', 'c1@client.example'));
  await put(encounter('enc-1', 'pt-1'));
  const report = await local.stack.pollFhir();
  await local.stack.waitForIdle();

  expect(report).toMatchObject({ status: 'polled', announced: ['fhir.enc-1'] });
  expect(announced().map((event) => [event.source, (event.detail as { sessionId: string; clientId: string }).sessionId])).toEqual([[INBOUND_SOURCE, 'fhir.enc-1']]);
  expect(await mailTo(local.stack, 'c1@client.example')).toHaveLength(1);
  expect(local.stack.iamDenials()).toEqual([]);
});

it('sends nothing for the same encounter again, even when it was updated since', async () => {
  clock.advance(15 * 60_000);
  await put(encounter('enc-1', 'pt-1'));
  const report = await local.stack.pollFhir();
  await local.stack.waitForIdle();

  expect(report).toMatchObject({ status: 'polled', announced: [], alreadyAnnounced: 1 });
  expect(announced()).toHaveLength(1);
  expect(await mailTo(local.stack, 'c1@client.example')).toHaveLength(1);
});

it('renews an expired token within the poll, which succeeds', async () => {
  const server = local.stack.fhir!.server;
  const grants = server.counts.tokens;
  const refusals = server.counts.unauthorized;
  // The client's cached token is still fresh by its own clock: only the server's 401 can tell it.
  server.expireTokens();
  await put(patient('pt-2', 'c2@client.example'));
  await put(encounter('enc-2', 'pt-2'));
  const report = await local.stack.pollFhir();
  await local.stack.waitForIdle();

  expect(report).toMatchObject({ status: 'polled', announced: ['fhir.enc-2'] });
  expect(server.counts.unauthorized).toBe(refusals + 1);
  expect(server.counts.tokens).toBe(grants + 1);
  expect(await mailTo(local.stack, 'c2@client.example')).toHaveLength(1);
});

it('waits out a 429 and then announces', async () => {
  clock.advance(15 * 60_000);
  await put(patient('pt-3', 'c3@client.example'));
  await put(encounter('enc-3', 'pt-3'));
  local.stack.fhir!.server.failNext({ status: 429, retryAfterSeconds: 1 });
  const report = await local.stack.pollFhir();
  await local.stack.waitForIdle();

  expect(report).toMatchObject({ status: 'polled', announced: ['fhir.enc-3'] });
  expect(await mailTo(local.stack, 'c3@client.example')).toHaveLength(1);
});

it('fails a poll the server keeps refusing with 503 without losing its window: the next poll announces', async () => {
  clock.advance(15 * 60_000);
  await put(patient('pt-4', 'c4@client.example'));
  await put(encounter('enc-4', 'pt-4'));
  local.stack.fhir!.server.failNext(...Array.from({ length: 4 }, () => ({ status: 503 as const, retryAfterSeconds: 0 })));
  await expect(local.stack.pollFhir()).rejects.toMatchObject({ name: 'FhirPollFailedError', report: { status: 'failed', failure: 'fhir-unavailable' } });
  expect(await mailTo(local.stack, 'c4@client.example')).toHaveLength(0);

  clock.advance(15 * 60_000);
  const report = await local.stack.pollFhir();
  await local.stack.waitForIdle();
  expect(report).toMatchObject({ status: 'polled', announced: ['fhir.enc-4'] });
  expect(await mailTo(local.stack, 'c4@client.example')).toHaveLength(1);
  expect(local.stack.iamDenials()).toEqual([]);
});

it('npx alliance fhir poll polls the local stand-in at once, with the key the stack made', async () => {
  clock.advance(15 * 60_000);
  await put(patient('pt-5', 'c5@client.example'));
  await put(encounter('enc-5', 'pt-5'));
  const polled = await runCli(local.stack, 'fhir', 'poll', '--base-url', local.stack.fhir!.baseUrl);
  expect(polled.code).toBe(0);
  await local.stack.waitForIdle();

  expect(polled.stdout).toContain('1 announced');
  expect(polled.stdout).not.toContain('c5@client.example');
  expect(await mailTo(local.stack, 'c5@client.example')).toHaveLength(1);
});

async function notify(bundle: unknown, secret = local.stack.fhir!.notificationSecret): Promise<Response> {
  return fetch(local.stack.fhir!.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${secret}` }, body: JSON.stringify(bundle) });
}

it('answers a subscription handshake and heartbeat with 200, and refuses a notification without the secret', async () => {
  expect((await notify(notificationBundle({ type: 'handshake', eventsSinceSubscriptionStart: 0 }))).status).toBe(200);
  expect((await notify(notificationBundle({ type: 'heartbeat', eventsSinceSubscriptionStart: 0 }))).status).toBe(200);
  expect((await notify(notificationBundle({ type: 'heartbeat', eventsSinceSubscriptionStart: 0 }), 'not-the-secret-at-all')).status).toBe(401);
  expect((await notify({ resourceType: 'Patient' })).status).toBe(400);
});

it('sends one email at once for a notification bundle (id-only), and none for the same notification again or the next poll', async () => {
  clock.advance(60_000);
  await put(patient('pt-6', 'c6@client.example'));
  await put(encounter('enc-6', 'pt-6'));
  const bundle = notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'enc-6' }] });
  const searches = local.stack.fhir!.server.counts.searches;
  expect((await notify(bundle)).status).toBe(200);
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, 'c6@client.example')).toHaveLength(1);
  expect(local.stack.fhir!.server.counts.searches).toBe(searches);

  expect((await notify(bundle)).status).toBe(200);
  expect(await local.stack.pollFhir()).toMatchObject({ status: 'polled', announced: [] });
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, 'c6@client.example')).toHaveLength(1);
  expect(local.stack.iamDenials()).toEqual([]);
});

it('polls the gap when events-since-subscription-start shows a missed notification', async () => {
  clock.advance(60_000);
  await put(patient('pt-7', 'c7@client.example'));
  await put(encounter('enc-7', 'pt-7'));
  await put(patient('pt-8', 'c8@client.example'));
  const full = encounter('enc-8', 'pt-8');
  // Event 2 (enc-7) never arrived; event 3 comes with its resources (full-resource).
  const response = await notify(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 3, events: [{ number: 3, encounterId: 'enc-8' }], resources: [full, patient('pt-8', 'c8@client.example')] }));
  expect(response.status).toBe(200);
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, 'c8@client.example')).toHaveLength(1);
  expect(await mailTo(local.stack, 'c7@client.example')).toHaveLength(1);
  expect(local.stack.iamDenials()).toEqual([]);
});

it('a Subscription on the stand-in: the handshake is answered, and an Encounter PUT as finished is emailed at once, without a poll', async () => {
  const server = local.stack.fhir!.server;
  expect(await server.subscribe({ endpoint: local.stack.fhir!.notificationUrl, secret: local.stack.fhir!.notificationSecret, content: 'id-only' })).toBe(200);
  clock.advance(60_000);
  await put(patient('pt-9', 'c9@client.example'));
  const searches = server.counts.searches;
  await put(encounter('enc-9', 'pt-9'));
  await server.notificationsSent();
  await local.stack.waitForIdle();

  expect(await mailTo(local.stack, 'c9@client.example')).toHaveLength(1);
  expect(server.counts.searches).toBe(searches);
  // Still finished: no new event, no second email.
  await put(encounter('enc-9', 'pt-9'));
  await server.notificationsSent();
  await local.stack.waitForIdle();
  expect(await mailTo(local.stack, 'c9@client.example')).toHaveLength(1);
  expect(local.stack.iamDenials()).toEqual([]);
});
