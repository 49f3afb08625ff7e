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

export { waitFor } from '../../../infra/local/wait.ts';

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

export async function mailbox(stack: LocalStack): Promise<StoredMail[]> {
  const response = await fetch(stack.endpoints.mailStore);
  return ((await response.json()) as { emails: StoredMail[] }).emails;
}

export async function mailTo(stack: LocalStack, address: string): Promise<StoredMail[]> {
  return (await mailbox(stack)).filter((mail) => mail.destination.to.includes(address));
}
