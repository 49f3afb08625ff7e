/**
 * What became of one SessionCompleted on the local stack, observed from outside as an engineer
 * would: the session item in DynamoDB Local (requested, or skipped and why), the form-link item that
 * is written only once SES accepted the email, and the bus's `/dead-letters` listing. The bus
 * accepting an event says only that it was routed; `npm run send-session` waits for this instead.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as formLinkItem from '../../shared/adapters/items/form-link.ts';
import * as sessionItem from '../../shared/adapters/items/session.ts';
import type { SkipReason } from '../../shared/domain/request-policy.ts';
import type { DeadLetter } from './dead-letters.ts';
import { waitFor, WaitTimeoutError } from './wait.ts';

export type SessionOutcome =
  | { kind: 'email-sent' }
  | { kind: 'skipped'; reason: SkipReason | string }
  /** The session was already recorded before this event: the stack handles it once. */
  | { kind: 'duplicate'; status: string; reason?: string | undefined }
  | { kind: 'dead-lettered'; reason: string }
  /** Nothing decided within the wait: still being retried, or the stack is not processing. */
  | { kind: 'no-outcome-yet' };

/** The session item's state as far as the outcome goes (undefined: not recorded). */
export interface SessionState {
  status: string;
  skipReason?: string | undefined;
  tokenHash?: string | undefined;
}

export interface OutcomeSources {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** `GET` answers `{ deadLetters: DeadLetter[] }` (the local bus's `/dead-letters`). */
  deadLettersUrl: string;
}

export async function readSessionState(sources: OutcomeSources, sessionId: string): Promise<SessionState | undefined> {
  const result = await sources.client.send(new GetCommand({ TableName: sources.tableName, ...sessionItem.getRequested(sessionId), ConsistentRead: true }));
  const item = result.Item;
  if (!item) return undefined;
  return { status: String(item['status']), skipReason: item['skipReason'] as string | undefined, tokenHash: item['tokenHash'] as string | undefined };
}

async function emailRecorded(sources: OutcomeSources, tokenHash: string): Promise<boolean> {
  const result = await sources.client.send(
    new GetCommand({ TableName: sources.tableName, Key: formLinkItem.key(tokenHash), ProjectionExpression: 'pk', ConsistentRead: true }),
  );
  return result.Item !== undefined;
}

async function deadLetterOf(sources: OutcomeSources, eventId: string): Promise<DeadLetter | undefined> {
  const response = await fetch(sources.deadLettersUrl);
  if (!response.ok) return undefined;
  const { deadLetters } = (await response.json()) as { deadLetters: DeadLetter[] };
  return deadLetters.find((letter) => letter.eventId === eventId);
}

/**
 * One look: the outcome if it is decided. `before` is the session as it was before the event was
 * put: one that existed already makes this event a duplicate, whatever the session says now.
 */
export async function lookForOutcome(sources: OutcomeSources, sessionId: string, eventId: string, before: SessionState | undefined): Promise<SessionOutcome | undefined> {
  const parked = await deadLetterOf(sources, eventId);
  if (parked) return { kind: 'dead-lettered', reason: parked.reason };
  if (before) return { kind: 'duplicate', status: before.status, ...(before.skipReason ? { reason: before.skipReason } : {}) };
  const state = await readSessionState(sources, sessionId);
  if (state?.status === 'skipped') return { kind: 'skipped', reason: state.skipReason ?? 'unknown' };
  if (state?.status === 'requested' && state.tokenHash && (await emailRecorded(sources, state.tokenHash))) return { kind: 'email-sent' };
  return undefined;
}

/** Looks every `intervalMs` until the outcome is decided or `timeoutMs` has passed. */
export async function waitForOutcome(
  sources: OutcomeSources,
  sessionId: string,
  eventId: string,
  before: SessionState | undefined,
  { timeoutMs, intervalMs = 200 }: { timeoutMs: number; intervalMs?: number },
): Promise<SessionOutcome> {
  try {
    return await waitFor(() => lookForOutcome(sources, sessionId, eventId, before), { timeoutMs, intervalMs, description: `the outcome of session ${sessionId}` });
  } catch (error) {
    if (error instanceof WaitTimeoutError) return { kind: 'no-outcome-yet' };
    throw error;
  }
}

const SKIP_REASONS: Record<SkipReason, string> = {
  throttled: 'throttled: the client was asked about a session less than THROTTLE_HOURS (12 h by default) of session time away',
  'opted-out': 'opted out: the client asked for no more feedback emails',
  undeliverable: 'undeliverable: the client’s address bounced or complained, so it is blocked',
  stale: 'stale: the session ended longer ago than MAX_SESSION_AGE_HOURS (or too far in the future)',
  'do-not-contact': 'do not contact: the address belonged to an erased client who had opted out or bounced (npx alliance clients allow lifts it)',
  erased: 'erased: the client was erased (npx alliance erase); nothing about them is stored again',
};

/** One line for the engineer who sent the event. */
export function describeOutcome(outcome: SessionOutcome, sessionId: string): string {
  switch (outcome.kind) {
    case 'email-sent':
      return `Email sent for session ${sessionId}.`;
    case 'skipped':
      return `Skipped, no email: ${SKIP_REASONS[outcome.reason as SkipReason] ?? outcome.reason}.`;
    case 'duplicate':
      return (
        `Duplicate, no email: session ${sessionId} was already ${outcome.status === 'skipped' ? `skipped (${outcome.reason ?? 'unknown'})` : outcome.status}, ` +
        'and a session is handled once. Leave out --session for a new id.'
      );
    case 'dead-lettered':
      return `Dead-lettered, no email: ${outcome.reason}`;
    case 'no-outcome-yet':
      return 'No outcome yet: the event is still being handled or retried (see the `npm start` console and /dead-letters).';
  }
}

/** Whether the stack did what it is meant to with the event (a skip or a duplicate is a decision too). */
export function isSettled(outcome: SessionOutcome): boolean {
  return outcome.kind === 'email-sent' || outcome.kind === 'skipped' || outcome.kind === 'duplicate';
}
