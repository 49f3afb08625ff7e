/**
 * The evaluation item beside a session: written by the evaluate function, read by the alert
 * function (with the session, in one query), by the evaluate function on a redelivered event and
 * by the follow-up (does it exist?). Its own small item, so writing it never rewrites the answer.
 * Plain attributes: clientId, kind (`answered` | `expired`), instrumentId, and `evaluation` with
 * the alert email's `chart` when it raised an alert, or the expiry's `outcome`; ttl under a
 * retention period.
 */
import type { StoredEvaluation } from '../../use-cases/ports.ts';
import { retentionTtl, type RetentionDays } from '../table.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

/** EVALUATION sorts before SESSION: the alert's query reads both, and nothing sorts between them. */
export const EVALUATION_ITEM = { kind: 'evaluation', type: 'Evaluation', partitionKeyPrefix: 'SESSION#', sortKey: 'EVALUATION' } as const satisfies ItemKindKeys;

export function key(sessionId: string): ItemKey {
  return { pk: `${EVALUATION_ITEM.partitionKeyPrefix}${sessionId}`, sk: EVALUATION_ITEM.sortKey };
}

/** Overwrites: a retry after a lost detector race recomputes the evaluation. */
export function put(sessionId: string, clientId: string, evaluation: StoredEvaluation, retentionDays: RetentionDays): PutRequest {
  return { Item: toItem(sessionId, clientId, evaluation, retentionDays) };
}

/** The stored item (exported for the item-size tests). */
export function toItem(sessionId: string, clientId: string, stored: StoredEvaluation, retentionDays: RetentionDays): Record<string, unknown> {
  const common = { ...key(sessionId), type: EVALUATION_ITEM.type, clientId, kind: stored.kind, instrumentId: stored.instrumentId };
  return stored.kind === 'answered'
    ? { ...common, evaluation: stored.evaluation, ...(stored.chart ? { chart: stored.chart } : {}), ...retentionTtl(stored.evaluation.endedAt, retentionDays) }
    : { ...common, outcome: stored.outcome, ...retentionTtl(stored.outcome.endedAt, retentionDays) };
}

export function get(sessionId: string): GetRequest {
  return { Key: key(sessionId) };
}

/**
 * Whether it exists, eventually consistent: asked when an answered session's schedule fires, hours
 * or days after the answer; one written a moment ago and missed costs one extra announcement.
 */
export function getExistence(sessionId: string): GetRequest {
  return { Key: key(sessionId), ProjectionExpression: 'sk' };
}

/** What the alert reads of it (beside the session's ALERT_ATTRIBUTES, in the same query): all it renders. */
export const ALERT_ATTRIBUTES = ['kind', 'instrumentId', 'evaluation', 'chart', 'outcome'] as const;

export function fromItem(found: Record<string, unknown>): StoredEvaluation {
  const instrumentId = found['instrumentId'] as string;
  if (found['kind'] === 'answered') {
    const chart = found['chart'] as Extract<StoredEvaluation, { kind: 'answered' }>['chart'];
    return { kind: 'answered', instrumentId, evaluation: found['evaluation'] as Extract<StoredEvaluation, { kind: 'answered' }>['evaluation'], ...(chart ? { chart } : {}) };
  }
  return { kind: 'expired', instrumentId, outcome: found['outcome'] as Extract<StoredEvaluation, { kind: 'expired' }>['outcome'] };
}
