/**
 * The session item: one per session the EHR reported, written by the request (claimed as
 * `requested`, or skipped), answered by the web function, marked by the follow-ups and read by the
 * evaluation and the alert. The only module that knows its attributes; the stores send what it builds.
 *
 * Attributes: sessionId, clientId, therapistId, endedAt, client {email, firstName, locale},
 * therapist {email, name}, status (`requested` | `skipped`), and as the session goes on: tokenHash,
 * requestedAt, expiresAt, claimedAt, claimExpiresAt (the request's lease), skipReason, skippedAt,
 * answeredAt, answer {instrumentId, items, talk, comment}, remindedAt, expiredAt, expiryPublishedAt,
 * and ttl under a retention period.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SkipReason } from '../../domain/request-policy.ts';
import type { AlertSession, AnswerState, EvaluationSession, PlannedRequest, RequestedAnnouncement, RequestedSession, SessionRecord, StoredAnswer } from '../../use-cases/ports.ts';
import { retentionTtl, type RetentionDays } from '../table.ts';
import type { DeleteRequest, GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const SESSION_ITEM = { kind: 'session', type: 'Session', partitionKeyPrefix: 'SESSION#', sortKey: 'SESSION' } as const satisfies ItemKindKeys;

export function key(sessionId: string): ItemKey {
  return { pk: `${SESSION_ITEM.partitionKeyPrefix}${sessionId}`, sk: SESSION_ITEM.sortKey };
}

/** The item as both of its puts (the claim, the skip) write it: the session, its TTL, then its state. */
function item(session: SessionRecord, retentionDays: RetentionDays, state: Record<string, unknown>): Record<string, unknown> {
  const { sessionId, clientId, therapistId, endedAt, client, therapist } = session;
  return { ...key(sessionId), type: SESSION_ITEM.type, sessionId, clientId, therapistId, endedAt, client, therapist, ...retentionTtl(endedAt, retentionDays), ...state };
}

// ── request ──────────────────────────────────────────────────────────────────────────────────────

/** Which existing session a claim may replace: none (a new session), or a claim whose lease ended. */
export type ClaimGuard = { replaces: 'nothing' } | { replaces: 'expired-lease'; leaseEnd: string };

/** Writes the session as requested, with the planned link and a lease; the old item comes back on refusal. */
export function claim(session: SessionRecord, plan: PlannedRequest, now: Date, leaseSeconds: number, retentionDays: RetentionDays, guard: ClaimGuard): PutRequest {
  return {
    // Requested from the claim on: there is no second write to the session after sending
    // (a session with no email sent has no form-link item, so no page or follow-up can reach it).
    Item: item(session, retentionDays, {
      status: 'requested',
      tokenHash: plan.tokenHash,
      requestedAt: plan.requestedAt,
      expiresAt: plan.expiresAt,
      claimedAt: now.toISOString(),
      claimExpiresAt: new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
    }),
    ...(guard.replaces === 'nothing'
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          // The same claim we saw (another retry may have taken it over first), still unanswered.
          ConditionExpression: 'claimExpiresAt = :leaseEnd AND attribute_not_exists(answeredAt)',
          ExpressionAttributeValues: { ':leaseEnd': guard.leaseEnd },
        }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** What a refused claim tells about the session that exists already. */
export interface ExistingClaim {
  status: string;
  tokenHash?: string | undefined;
  expiresAt?: string | undefined;
  claimExpiresAt?: string | undefined;
  answeredAt?: string | undefined;
  /** What its FeedbackRequested announced, when all of it is stored. */
  request?: RequestedAnnouncement | undefined;
}

/** Reads the old item a refused claim returned (wire format: every attribute read here is a string). */
export function existingClaim(wireItem: Record<string, AttributeValue> | undefined): ExistingClaim {
  const text = (name: string) => wireItem?.[name]?.S;
  const [clientId, therapistId, requestedAt, expiresAt] = [text('clientId'), text('therapistId'), text('requestedAt'), text('expiresAt')];
  return {
    status: text('status') ?? 'unknown',
    tokenHash: text('tokenHash'),
    expiresAt,
    claimExpiresAt: text('claimExpiresAt'),
    answeredAt: text('answeredAt'),
    request: clientId && therapistId && requestedAt && expiresAt ? { clientId, therapistId, requestedAt, expiresAt } : undefined,
  };
}

/** Records a session that will not be asked about: only a new one, or the claim of this attempt. */
export function skip(session: SessionRecord, reason: SkipReason, now: Date, retentionDays: RetentionDays, claimTokenHash: string | undefined): PutRequest {
  return {
    Item: item(session, retentionDays, { status: 'skipped', skipReason: reason, skippedAt: now.toISOString() }),
    ...(claimTokenHash
      ? {
          ConditionExpression: 'attribute_not_exists(pk) OR (tokenHash = :tokenHash AND attribute_not_exists(answeredAt))',
          ExpressionAttributeValues: { ':tokenHash': claimTokenHash },
        }
      : { ConditionExpression: 'attribute_not_exists(pk)' }),
  };
}

/** Deletes this attempt's claim only: after its lease another attempt may have taken the session over. */
export function releaseClaim(sessionId: string, claimTokenHash: string): DeleteRequest {
  return {
    Key: key(sessionId),
    ConditionExpression: 'tokenHash = :tokenHash AND attribute_not_exists(answeredAt)',
    ExpressionAttributeValues: { ':tokenHash': claimTokenHash },
  };
}

// ── web ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * Reads only the answer state: the session's contact details have no business in the web function.
 * Its status is not read: the request may call a session `requested` before its email is out, and
 * the form needs only "answered or not" and the link's expiry.
 */
export function getAnswerState(sessionId: string, consistent: boolean): GetRequest {
  return { Key: key(sessionId), ProjectionExpression: 'pk, answeredAt, expiredAt', ConsistentRead: consistent };
}

export function answerState(found: Record<string, unknown>): AnswerState {
  return { answeredAt: found['answeredAt'] as string | undefined, expiredAt: found['expiredAt'] as string | undefined };
}

/**
 * Records the answer in one conditional write, nothing read before: the condition is the whole
 * check. The link's own expiry was checked by the caller with the same `now`; the session carries
 * the same expiry once requested, and `expiredAt` once the expiry was announced. ALL_OLD on a failed
 * check (no extra read units) tells "already answered" from "expired" and "gone".
 */
export function recordAnswer(sessionId: string, answer: StoredAnswer, now: Date): UpdateRequest {
  return {
    Key: key(sessionId),
    UpdateExpression: 'SET answeredAt = :answeredAt, answer = :answer',
    ConditionExpression:
      'attribute_exists(pk) AND attribute_not_exists(answeredAt) AND attribute_not_exists(expiredAt) AND ' +
      '(attribute_not_exists(expiresAt) OR expiresAt > :now)',
    ExpressionAttributeValues: {
      ':answeredAt': answer.submittedAt,
      // `commented` tells the evaluation (which never reads the words) that there is a comment.
      ':answer': { instrumentId: answer.instrumentId, items: answer.items, talk: answer.talk, comment: answer.comment, ...(answer.comment?.trim() ? { commented: true } : {}) },
      ':now': now.toISOString(),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** Why an answer was refused, from the old item (wire format) its failed write returned. */
export function answerRefusal(wireItem: Record<string, AttributeValue> | undefined): 'answered' | 'expired' | 'not-found' {
  if (!wireItem) return 'not-found';
  return wireItem['answeredAt'] ? 'answered' : 'expired';
}

// ── follow-up ────────────────────────────────────────────────────────────────────────────────────

/**
 * The whole session, eventually consistent (half the read units): the reminder and the expiry fire
 * hours after the request, and an answer that lands in the same second is still caught, because
 * the reminder's claim and the expiry's mark are conditional on `answeredAt` being absent.
 */
export function getRequested(sessionId: string): GetRequest {
  return { Key: key(sessionId) };
}

export function requestedSession(found: Record<string, unknown>): RequestedSession {
  const { pk: _pk, sk: _sk, type: _type, ttl: _ttl, ...session } = found;
  return session as unknown as RequestedSession;
}

/** Marks the reminder as being sent unless it was already, or the client answered: the once-only guard. */
export function claimReminder(sessionId: string, now: Date): UpdateRequest {
  return {
    Key: key(sessionId),
    UpdateExpression: 'SET remindedAt = :now',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(remindedAt) AND attribute_not_exists(answeredAt)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
  };
}

export function releaseReminder(sessionId: string): UpdateRequest {
  return { Key: key(sessionId), UpdateExpression: 'REMOVE remindedAt', ConditionExpression: 'attribute_exists(pk)' };
}

/** Marks the request expired unless it was answered or its expiry announced; ALL_OLD tells which. */
export function markExpired(sessionId: string, now: Date): UpdateRequest {
  return {
    Key: key(sessionId),
    UpdateExpression: 'SET expiredAt = if_not_exists(expiredAt, :now)',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(answeredAt) AND attribute_not_exists(expiryPublishedAt)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

export function expiryRefusal(wireItem: Record<string, AttributeValue> | undefined): 'answered' | 'already-published' {
  return wireItem?.['answeredAt'] ? 'answered' : 'already-published';
}

/** Only on an existing session: an update of an erased one would leave a stub without its clientId. */
export function markExpiryPublished(sessionId: string, now: Date): UpdateRequest {
  return {
    Key: key(sessionId),
    UpdateExpression: 'SET expiryPublishedAt = :now',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
  };
}

// ── evaluate ─────────────────────────────────────────────────────────────────────────────────────

/**
 * What the evaluation reads of the session: its ids, its end, its answer without the comment (the
 * evaluation has no use for the client's words) and whether its expiry was announced. The event
 * that woke the evaluation is only a notification; this is what it scores. `consistent` for the
 * second look, when the first found no match (an answer written a moment ago).
 */
export function getForEvaluation(sessionId: string, consistent: boolean): GetRequest {
  return {
    Key: key(sessionId),
    // `items` is a reserved word in expressions.
    ProjectionExpression: 'sessionId, clientId, therapistId, endedAt, answeredAt, answer.instrumentId, answer.#items, answer.talk, answer.commented, expiredAt',
    ExpressionAttributeNames: { '#items': 'items' },
    ConsistentRead: consistent,
  };
}

export function evaluationSession(found: Record<string, unknown>): EvaluationSession {
  const answer = found['answer'] as (Partial<Omit<StoredAnswer, 'submittedAt' | 'comment'>> & { commented?: boolean }) | undefined;
  const answeredAt = found['answeredAt'] as string | undefined;
  return {
    sessionId: found['sessionId'] as string,
    clientId: found['clientId'] as string,
    therapistId: found['therapistId'] as string,
    endedAt: found['endedAt'] as string,
    ...(answeredAt && answer?.instrumentId && answer.items
      ? { answer: { instrumentId: answer.instrumentId, items: answer.items, talk: answer.talk ?? false, submittedAt: answeredAt, ...(answer.commented === true ? { commented: true } : {}) } }
      : {}),
    ...(found['expiredAt'] ? { expiredAt: found['expiredAt'] as string } : {}),
  };
}

// ── alert ────────────────────────────────────────────────────────────────────────────────────────

/** What the alert reads of the session: never the client's email address, it has no use for it. */
export const ALERT_ATTRIBUTES = ['sessionId', 'clientId', 'therapistId', 'endedAt', 'client.firstName', 'therapist', 'answer'] as const;

export function alertSession(found: Record<string, unknown>): Omit<AlertSession, 'evaluation'> {
  return {
    sessionId: found['sessionId'] as string,
    clientId: found['clientId'] as string,
    therapistId: found['therapistId'] as string,
    endedAt: found['endedAt'] as string,
    client: (found['client'] as AlertSession['client'] | undefined) ?? {},
    therapist: found['therapist'] as AlertSession['therapist'],
    answer: found['answer'] as AlertSession['answer'],
  };
}

// ── trend page ───────────────────────────────────────────────────────────────────────────────────

/**
 * What the trend page reads of a session, projected: the client's words (comment, talk tick) and
 * first name. Never the address. Read units are still counted on the whole item (≤ 4 KB: ½ unit
 * eventually consistent), the projection keeps the rest out of the web function's memory.
 */
export const TREND_PROJECTION = {
  ProjectionExpression: '#session, #answer.#comment, #answer.#talk, #client.#firstName',
  ExpressionAttributeNames: { '#session': 'sessionId', '#answer': 'answer', '#comment': 'comment', '#talk': 'talk', '#client': 'client', '#firstName': 'firstName' },
} as const;

export function trendWords(found: Record<string, unknown>): { sessionId: string; comment?: string | undefined; talk: boolean; firstName?: string | undefined } {
  const answer = found['answer'] as { comment?: unknown; talk?: unknown } | undefined;
  const client = found['client'] as { firstName?: unknown } | undefined;
  return {
    sessionId: String(found['sessionId']),
    ...(typeof answer?.comment === 'string' && answer.comment.length > 0 ? { comment: answer.comment } : {}),
    talk: answer?.talk === true,
    ...(typeof client?.firstName === 'string' ? { firstName: client.firstName } : {}),
  };
}
