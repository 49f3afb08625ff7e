/**
 * A signed webhook says a session ended: verify it (Standard Webhooks), read its body, complete it
 * from the roster (completeSession) and announce SessionCompleted once per `webhook-id`.
 *
 * The order matters. The signature is checked before the body is even parsed, so an unsigned
 * caller learns nothing about the body's shape. The delivery id is claimed only once the event is
 * ready to publish: a skipped appointment (422) is not remembered, so the sender's retry after the
 * practice fixed its roster goes through; a claimed delivery whose publish fails is released, so
 * the retry is not mistaken for a replay. A replay of an announced delivery changes nothing.
 */
import * as z from 'zod/mini';
import { IdSchema, SessionCompleted, TimestampSchema } from '../events/contracts.ts';
import { completeSession, type CompleteSessionDependencies, type SkippedAppointment } from './complete-session.ts';
import type { Clock, EventPublisher, WebhookDeliveryStore, WebhookSignatureVerifier } from './ports.ts';

/** A field of the body the webhook could not use: where, and why — never the value. */
export interface FieldIssue {
  path: string;
  message: string;
}

const OptionalText = z.optional(z.string());

/**
 * The webhook's body: the SessionCompleted v1 detail, with every client and therapist field
 * optional (completeSession takes what is missing from the roster and the therapist directory).
 * Formats (emails, names) are checked against the contract once the event is complete.
 */
export const WebhookSessionSchema = z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: z.optional(IdSchema),
  endedAt: TimestampSchema,
  client: z.optional(z.object({ email: OptionalText, firstName: OptionalText, locale: OptionalText })),
  therapist: z.optional(z.object({ email: OptionalText, name: OptionalText })),
});

/** Printable ASCII, 1–200 characters: stored as part of a table key (the spec's ids are `msg_…`). */
const WEBHOOK_ID = /^[\x21-\x7e]{1,200}$/;

export interface WebhookDelivery {
  /** The body exactly as received: the signature covers these bytes. */
  body: string;
  headers: Readonly<Record<string, string | undefined>>;
}

export type WebhookOutcome =
  | { kind: 'unauthorized' }
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'skipped'; sessionId: string; reason: SkippedAppointment }
  | { kind: 'accepted'; sessionId: string }
  | { kind: 'duplicate'; sessionId: string };

export interface ReceiveWebhookDeps extends CompleteSessionDependencies {
  verifier: WebhookSignatureVerifier;
  deliveries: WebhookDeliveryStore;
  publisher: EventPublisher<'integrator'>;
  clock: Clock;
}

export async function receiveWebhook(delivery: WebhookDelivery, deps: ReceiveWebhookDeps): Promise<WebhookOutcome> {
  if (!(await deps.verifier.verify(delivery.body, delivery.headers))) return { kind: 'unauthorized' };
  const webhookId = headerOf(delivery.headers, 'webhook-id') ?? '';
  if (!WEBHOOK_ID.test(webhookId)) return { kind: 'invalid', issues: [{ path: 'webhook-id (header)', message: 'must be 1–200 printable ASCII characters' }] };

  let json: unknown;
  try {
    json = JSON.parse(delivery.body);
  } catch {
    return { kind: 'invalid', issues: [{ path: '(body)', message: 'must be a JSON object' }] };
  }
  const parsed = WebhookSessionSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues.map((issue) => toFieldIssue(issue, json)) };
  const body = parsed.data;

  const completed = await completeSession(
    { sessionId: body.sessionId, clientId: body.clientId, therapistId: body.therapistId, endedAt: body.endedAt, client: body.client, therapist: body.therapist },
    deps,
  );
  if (!completed.completed) {
    if (completed.reason === 'invalid-details') return { kind: 'invalid', issues: (completed.issues ?? []).map(splitIssue) };
    return { kind: 'skipped', sessionId: body.sessionId, reason: completed.reason };
  }

  const claim = await deps.deliveries.claim({ webhookId, sessionId: body.sessionId, receivedAt: deps.clock.now() });
  if (claim === 'seen') return { kind: 'duplicate', sessionId: body.sessionId };
  try {
    await deps.publisher.publish(SessionCompleted, completed.detail);
  } catch (error) {
    await deps.deliveries.release(webhookId);
    throw error;
  }
  return { kind: 'accepted', sessionId: body.sessionId };
}

function headerOf(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

function toFieldIssue(issue: z.core.$ZodIssue, body: unknown): FieldIssue {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
  // zod says only "Invalid input" for a wrong type: say whether the field is missing or what it must be.
  const message = issue.code === 'invalid_type' ? (valueAt(body, issue.path) === undefined ? 'is required' : `must be ${issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}`) : issue.message;
  return { path, message };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  return current;
}

/** completeSession reports `path: message`; the webhook answers them as fields. */
function splitIssue(issue: string): FieldIssue {
  const at = issue.indexOf(': ');
  return at === -1 ? { path: '(body)', message: issue } : { path: issue.slice(0, at) || '(body)', message: issue.slice(at + 2) };
}
