/**
 * The client-history item: one row per evaluated session (answered or expired) in the client's own
 * partition, so the trend page reads a client's last 26 sessions with ONE query (newest first,
 * Limit 26) and never a scan (the table has no index: dynamodb-client-data-store.ts says why).
 *
 * Key: pk `CLIENT#<clientId>`, sk `TREND#<endedAt>#<sessionId>` (endedAt is UTC ISO, so rows sort by
 * session). Not `HISTORY#`: the detector's query reads `DETECTOR#…` BETWEEN `PROFILE` in this
 * partition on every evaluation, and a prefix sorting between them would put every history row
 * into that query; `TREND#` sorts after `PROFILE`.
 *
 * Written by the evaluation (an UpdateItem that sets the evaluation's fields and keeps the alert
 * marks, so a recomputed evaluation never loses them); the alert function marks a kind sent and
 * the web function marks it acknowledged, each one UpdateItem on this key (O(1), no read), only
 * when the row exists (an erased client's row is not recreated as a stub).
 *
 * Attributes (plain): clientId, therapistId, sessionId, endedAt, instrumentId, kind (`answered` |
 * `expired`), and for an answer: total, max (raw scale), items (the client's raw answers by item
 * id), band {low, high} (the usual range at that time, raw total; absent before a baseline),
 * state (the evaluation's state), talk; alerts (the kinds raised), alertsSent {kind: ISO} (the
 * responsible clinician emailed), alertsInDigest {kind: ISO} (left to the therapist's weekly digest
 * instead: alert-recipients.ts; absent on rows written before it existed, read as empty, and such a
 * row is not marked), acknowledged {kind: ISO}; ttl under the retention period, counted from endedAt like the session.
 *
 * The comment is deliberately NOT here: the evaluation never reads the client's words (ports.ts
 * EvaluationSession), and the text stays in one place (the session item) for erase and retention.
 * The trend page reads it from the ≤26 sessions with one BatchGetItem, projected to the answer's
 * comment and talk and the client's first name (dynamodb-trend-store.ts).
 */
import type { AlertKind } from '../../events/contracts.ts';
import type { HistoryEntry, HistoryRef, StoredHistoryEntry } from '../../use-cases/ports.ts';
import { retentionTtl, type RetentionDays } from '../table.ts';
import type { ItemKey, ItemKindKeys, QueryRequest, UpdateRequest } from './item.ts';

export const CLIENT_HISTORY_ITEM = { kind: 'client-history', type: 'ClientHistory', partitionKeyPrefix: 'CLIENT#', sortKey: 'TREND#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

/** Sessions a trend page shows: about six months of weekly sessions. */
export const TREND_SESSIONS = 26;

export function key(ref: HistoryRef): ItemKey {
  return { pk: `${CLIENT_HISTORY_ITEM.partitionKeyPrefix}${ref.clientId}`, sk: `${CLIENT_HISTORY_ITEM.sortKey}${ref.endedAt}#${ref.sessionId}` };
}

/**
 * Sets the evaluation's fields (a retry after a lost detector race rewrites them) and creates the
 * alert-mark maps only if absent, so marks made since are kept.
 */
export function record(entry: HistoryEntry, retentionDays: RetentionDays): UpdateRequest {
  const fields: Record<string, unknown> = {
    type: CLIENT_HISTORY_ITEM.type,
    clientId: entry.clientId,
    therapistId: entry.therapistId,
    sessionId: entry.sessionId,
    endedAt: entry.endedAt,
    instrumentId: entry.instrumentId,
    kind: entry.kind,
    alerts: entry.alerts,
    ...(entry.kind === 'answered'
      ? { total: entry.total, max: entry.max, items: entry.items, state: entry.state, talk: entry.talk, ...(entry.band ? { band: entry.band } : {}) }
      : {}),
    ...retentionTtl(entry.endedAt, retentionDays),
  };
  const names = Object.keys(fields);
  return {
    Key: key(entry),
    UpdateExpression: `SET ${names.map((_name, index) => `#f${index} = :f${index}`).join(', ')}, alertsSent = if_not_exists(alertsSent, :empty), alertsInDigest = if_not_exists(alertsInDigest, :empty), acknowledged = if_not_exists(acknowledged, :empty)`,
    ExpressionAttributeNames: Object.fromEntries(names.map((name, index) => [`#f${index}`, name])),
    ExpressionAttributeValues: { ...Object.fromEntries(names.map((name, index) => [`:f${index}`, fields[name]])), ':empty': {} },
  };
}

/** Marks an alert kind of the session sent (the first time kept); only on an existing row. */
export function markAlertSent(ref: HistoryRef, kind: AlertKind, at: string): UpdateRequest {
  return mark('alertsSent', ref, kind, at);
}

/** Marks an alert kind of the session as left to the therapist's weekly digest (the first time kept); only on an existing row. */
export function markAlertInDigest(ref: HistoryRef, kind: AlertKind, at: string): UpdateRequest {
  return mark('alertsInDigest', ref, kind, at);
}

/** Marks an alert kind of the session acknowledged (the first time kept); only on an existing row. */
export function markAcknowledged(ref: HistoryRef, kind: AlertKind, at: string): UpdateRequest {
  return mark('acknowledged', ref, kind, at);
}

function mark(map: 'alertsSent' | 'alertsInDigest' | 'acknowledged', ref: HistoryRef, kind: AlertKind, at: string): UpdateRequest {
  return {
    Key: key(ref),
    UpdateExpression: 'SET #map.#kind = if_not_exists(#map.#kind, :at)',
    ConditionExpression: 'attribute_exists(pk) AND attribute_exists(#map)',
    ExpressionAttributeNames: { '#map': map, '#kind': kind },
    ExpressionAttributeValues: { ':at': at },
  };
}

/** The client's last `limit` rows, newest first: one query of their partition's `TREND#` range. */
export function queryRecent(clientId: string, limit: number = TREND_SESSIONS): QueryRequest {
  return {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': `${CLIENT_HISTORY_ITEM.partitionKeyPrefix}${clientId}`, ':prefix': CLIENT_HISTORY_ITEM.sortKey },
    ScanIndexForward: false,
    Limit: limit,
  };
}

export function fromItem(found: Record<string, unknown>): StoredHistoryEntry {
  const common = {
    clientId: String(found['clientId']),
    therapistId: String(found['therapistId']),
    sessionId: String(found['sessionId']),
    endedAt: String(found['endedAt']),
    instrumentId: String(found['instrumentId']),
    alerts: (found['alerts'] as AlertKind[] | undefined) ?? [],
    alertsSent: (found['alertsSent'] as Partial<Record<AlertKind, string>> | undefined) ?? {},
    alertsInDigest: (found['alertsInDigest'] as Partial<Record<AlertKind, string>> | undefined) ?? {},
    acknowledged: (found['acknowledged'] as Partial<Record<AlertKind, string>> | undefined) ?? {},
  };
  if (found['kind'] !== 'answered') return { ...common, kind: 'expired' };
  const band = found['band'] as { low: number; high: number } | undefined;
  return {
    ...common,
    kind: 'answered',
    total: Number(found['total']),
    max: Number(found['max']),
    items: (found['items'] as Record<string, number> | undefined) ?? {},
    state: String(found['state']),
    talk: found['talk'] === true,
    ...(band ? { band } : {}),
  };
}
