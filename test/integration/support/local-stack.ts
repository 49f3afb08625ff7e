/**
 * Helpers for tests that run the local stack: events sent with the real EventBridge client, mail
 * read from the SES emulator's `/store`, items read straight from DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry, type PutEventsResponse } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoDbClient, LOCAL_CREDENTIALS } from '../../../infra/local/dynamodb-local.ts';
import type { LocalStack } from '../../../infra/local/stack.ts';
import { DEFAULT_BUS_NAME, PRODUCT_SOURCE, SessionCompleted, type EventContract } from '../../../shared/events/contracts.ts';
import type * as z from 'zod/mini';
import { waitFor } from '../../../infra/local/wait.ts';

export { waitFor };

/** A mail as the SES emulator lists it. */
export interface StoredMail {
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  headers?: { name: string; value: string }[];
  at: number;
}

export function eventBridgeClient(stack: LocalStack): EventBridgeClient {
  return new EventBridgeClient({ endpoint: stack.endpoints.bus, region: stack.region, credentials: LOCAL_CREDENTIALS });
}

export function documentClient(stack: LocalStack): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamodb, stack.region));
}

/** A valid SessionCompleted detail for a new client, ended an hour before `now`. */
export function sessionDetail(now: Date, overrides: Partial<Record<string, unknown>> = {}) {
  const clientId = `c-${randomUUID().slice(0, 8)}`;
  return {
    sessionId: `s-${randomUUID().slice(0, 8)}`,
    clientId,
    therapistId: 't-7',
    endedAt: new Date(now.getTime() - 3_600_000).toISOString(),
    client: { email: `${clientId}@example.com`, firstName: 'Ana', locale: 'en' },
    therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
    ...overrides,
  };
}

export async function putEntries(client: EventBridgeClient, entries: PutEventsRequestEntry[]): Promise<PutEventsResponse> {
  return client.send(new PutEventsCommand({ Entries: entries }));
}

/** Puts one SessionCompleted on the product bus, as an EHR integration would, and checks it was accepted. */
export async function sendSession(client: EventBridgeClient, detail: unknown, source = 'ehr.example'): Promise<string> {
  const result = await putEntries(client, [{ EventBusName: DEFAULT_BUS_NAME, Source: source, DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }]);
  const entry = result.Entries?.[0];
  if (result.FailedEntryCount || !entry?.EventId) throw new Error(`SessionCompleted not accepted: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  return entry.EventId;
}

/**
 * Puts one product event on the bus as the product itself would (source `alliance-feedback`, as the
 * role that publishes it: stack.putEventsAsProduct), for tests that check what a consumer does with
 * an event the table does not bear out. The one place tests put product events. Resolves with the
 * event's id; rejects when the bus refuses it.
 */
export async function putAsProduct(stack: LocalStack, contract: EventContract<z.ZodMiniType, 'product'>, detail: unknown): Promise<string> {
  const result = await stack.putEventsAsProduct([{ EventBusName: DEFAULT_BUS_NAME, Source: PRODUCT_SOURCE, DetailType: contract.detailType, Detail: JSON.stringify(detail) }]);
  const entry = result.Entries[0];
  if (entry === undefined || !('EventId' in entry)) throw new Error(`${contract.detailType} not accepted: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  return entry.EventId;
}

// A loaded CI machine runs several stacks at once: waiting longer costs nothing when all is well.
const IDLE_TIMEOUT_MS = 30_000;

export async function mailbox(stack: LocalStack): Promise<StoredMail[]> {
  const response = await fetch(stack.endpoints.mailStore);
  return ((await response.json()) as { emails: StoredMail[] }).emails;
}

export async function mailTo(stack: LocalStack, address: string): Promise<StoredMail[]> {
  return (await mailbox(stack)).filter((mail) => mail.destination.to.includes(address));
}

/**
 * Waits until `address` has its `nth` mail (default 1: the first) and the stack is idle again (a
 * mail's links are stored just after SES accepted it: the function that sent it must finish), then
 * resolves with that mail.
 */
export async function awaitMail(stack: LocalStack, address: string, options: { nth?: number; description?: string; timeoutMs?: number } = {}): Promise<StoredMail> {
  const { nth = 1, description = 'the feedback email', timeoutMs } = options;
  await waitFor(async () => (await mailTo(stack, address)).length >= nth, { description, timeoutMs });
  await stack.waitForIdle(IDLE_TIMEOUT_MS);
  return (await mailTo(stack, address))[nth - 1]!;
}

/** The link of one kind in a mail's text: `f` the form, `u` the opt-out, `a` acknowledge, `t` the trend page. */
export function mailedLink(mail: StoredMail, kind: 'f' | 'u' | 'a' | 't'): string {
  const link = new RegExp(`http://127\\.0\\.0\\.1:\\d+/${kind}/[A-Za-z0-9_-]{43}`).exec(mail.body.text ?? '')?.[0];
  if (link === undefined) throw new Error(`no /${kind}/ link in the mail`);
  return link;
}

/** Posts answers to a form link as a browser does, checks it is sent on to the thanks page (303), and waits until the stack is idle. */
export async function postAnswers(stack: LocalStack, link: string, fields: Record<string, string | number>): Promise<void> {
  const form = new URLSearchParams(Object.entries(fields).map(([name, value]): [string, string] => [name, String(value)]));
  const posted = await fetch(link, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  if (posted.status !== 303) throw new Error(`the form answered ${posted.status}, not 303 (on to the thanks page)`);
  await stack.waitForIdle(IDLE_TIMEOUT_MS);
}
