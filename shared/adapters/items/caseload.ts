/**
 * The caseload item: one client's summary in one therapist's caseload, in the caseload's own
 * partition CASELOAD#<therapistId> (sort key CLIENT#<clientId>; the therapist's response weeks
 * and digest claims share it), so the digest reads a whole caseload in one Query. Not in the
 * therapist's THERAPIST# partition: IAM conditions only on the partition key, and the functions
 * that write summaries (evaluate, web) must not be able to write the therapist's directory entry.
 * Written by the evaluation with ONE UpdateItem per answer or expiry; the alert's acknowledgement
 * closes its alert; the trend page's view marks comments read.
 *
 * Plain attributes: therapistId, clientId (export and erase find it), instrumentId,
 * detectorVersion, lastSessionAt, lastScore {total, endedAt}, max, totals (≤ 12), band {low, high},
 * lastState, repairOpen, expiredInARow, quietAfterExpired, openAlerts, commentSessions and
 * unrepairedSessions (string sets of session ids: adding and removing the same id twice changes
 * nothing, so a redelivered event or a second click counts once), commentsReadAt, updatedAt, and ttl under the retention
 * period (counted from the last session: a summary outlives no session it summarises).
 */
import type { CaseloadEntry } from '../../domain/caseload.ts';
import type { CaseloadWrite } from '../../use-cases/ports.ts';
import { retentionTtl, TTL_ATTRIBUTE, type RetentionDays } from '../table.ts';
import type { DeleteRequest, ItemKey, ItemKindKeys, QueryRequest, UpdateRequest } from './item.ts';

export const CASELOAD_ITEM = { kind: 'caseload', type: 'CaseloadEntry', partitionKeyPrefix: 'CASELOAD#', sortKey: 'CLIENT#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

export function key(therapistId: string, clientId: string): ItemKey {
  return { pk: `${CASELOAD_ITEM.partitionKeyPrefix}${therapistId}`, sk: `${CASELOAD_ITEM.sortKey}${clientId}` };
}

/**
 * The evaluation's one write: the summary fields only if this detector version is newer than the
 * one the item was written from (an older evaluation finishing late does not overwrite a newer
 * one, and a redelivered one writes nothing twice); the session's alert and comment marks with it.
 */
export function record(write: CaseloadWrite, now: Date, retentionDays: RetentionDays): UpdateRequest {
  const ttl = retentionTtl(write.lastSessionAt, retentionDays)[TTL_ATTRIBUTE];
  const sets: string[] = [
    '#type = :type',
    'therapistId = :therapistId',
    'clientId = :clientId',
    'instrumentId = :instrumentId',
    'detectorVersion = :version',
    'lastSessionAt = :lastSessionAt',
    '#max = :max',
    'totals = :totals',
    'repairOpen = :repairOpen',
    'expiredInARow = :expiredInARow',
    'quietAfterExpired = :quietAfterExpired',
    'updatedAt = :now',
  ];
  const removes: string[] = [];
  const values: Record<string, unknown> = {
    ':type': CASELOAD_ITEM.type,
    ':therapistId': write.therapistId,
    ':clientId': write.clientId,
    ':instrumentId': write.instrumentId,
    ':version': write.detectorVersion,
    ':lastSessionAt': write.lastSessionAt,
    ':max': write.max,
    ':totals': write.totals,
    ':repairOpen': write.repairOpen,
    ':expiredInARow': write.expiredInARow,
    ':quietAfterExpired': write.quietAfterExpired,
    ':now': now.toISOString(),
  };
  const optional = (attribute: string, value: unknown) => {
    if (value === undefined) removes.push(attribute);
    else {
      sets.push(`${attribute} = :${attribute}`);
      values[`:${attribute}`] = value;
    }
  };
  optional('lastScore', write.lastScore);
  optional('band', write.band);
  optional('lastState', write.lastState);
  if (ttl !== undefined) {
    sets.push('#ttl = :ttl');
    values[':ttl'] = ttl;
  }
  const adds = marks(write, values);
  return {
    Key: key(write.therapistId, write.clientId),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}${adds}`,
    ConditionExpression: 'attribute_not_exists(detectorVersion) OR detectorVersion < :version',
    ExpressionAttributeNames: { '#type': 'type', '#max': 'max', ...(ttl === undefined ? {} : { '#ttl': TTL_ATTRIBUTE }) },
    ExpressionAttributeValues: values,
  };
}

/**
 * The session's marks alone, on an existing summary: when a newer evaluation of the same client
 * wrote the summary first, this session's alert and comment still count (sets: never twice).
 */
export function addMarks(write: Pick<CaseloadWrite, 'therapistId' | 'clientId' | 'openAlert' | 'comment' | 'unrepaired'>): UpdateRequest | undefined {
  const values: Record<string, unknown> = {};
  const adds = marks(write, values);
  if (adds === '') return undefined;
  return {
    Key: key(write.therapistId, write.clientId),
    UpdateExpression: adds.trim(),
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: values,
  };
}

function marks(write: Pick<CaseloadWrite, 'openAlert' | 'comment' | 'unrepaired'>, values: Record<string, unknown>): string {
  const adds: string[] = [];
  if (write.openAlert !== undefined) {
    adds.push('openAlerts :openAlert');
    values[':openAlert'] = new Set([write.openAlert]);
  }
  if (write.comment !== undefined) {
    adds.push('commentSessions :comment');
    values[':comment'] = new Set([write.comment]);
  }
  if (write.unrepaired !== undefined) {
    adds.push('unrepairedSessions :unrepaired');
    values[':unrepaired'] = new Set([write.unrepaired]);
  }
  return adds.length > 0 ? ` ADD ${adds.join(', ')}` : '';
}

/** Closes a session's alert (acknowledged); nothing when the summary is gone (erased, moved). */
export function closeAlert(therapistId: string, clientId: string, sessionId: string): UpdateRequest {
  return {
    Key: key(therapistId, clientId),
    UpdateExpression: 'DELETE openAlerts :session',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':session': new Set([sessionId]) },
  };
}

/** The therapist opened the client's trend page: the comments waiting are read, the unrepaired escalations seen. */
export function markTrendViewed(therapistId: string, clientId: string, now: Date): UpdateRequest {
  return {
    Key: key(therapistId, clientId),
    UpdateExpression: 'SET commentsReadAt = :now REMOVE commentSessions, unrepairedSessions',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
  };
}

/** The client moved to another therapist: their summary leaves the old caseload. */
export function remove(therapistId: string, clientId: string): DeleteRequest {
  return { Key: key(therapistId, clientId) };
}

/**
 * The digest's one read of the caseload: the whole CASELOAD#<therapistId> partition — the clients'
 * summaries (CLIENT#…), the digest claims (DIGEST#…, a few) and the response weeks (RESPONSE#…).
 */
export function queryDigest(therapistId: string): QueryRequest {
  return { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `${CASELOAD_ITEM.partitionKeyPrefix}${therapistId}` } };
}

export function isCaseloadItem(found: Record<string, unknown>): boolean {
  return typeof found['sk'] === 'string' && found['sk'].startsWith(CASELOAD_ITEM.sortKey);
}

export function fromItem(found: Record<string, unknown>): CaseloadEntry {
  const set = (value: unknown): string[] => (value instanceof Set ? [...(value as Set<string>)] : Array.isArray(value) ? (value as string[]) : []).sort();
  return {
    therapistId: found['therapistId'] as string,
    clientId: found['clientId'] as string,
    instrumentId: found['instrumentId'] as string,
    detectorVersion: Number(found['detectorVersion'] ?? 0),
    lastSessionAt: found['lastSessionAt'] as string,
    ...(found['lastScore'] ? { lastScore: found['lastScore'] as { total: number; endedAt: string } } : {}),
    max: Number(found['max'] ?? 0),
    totals: ((found['totals'] as unknown[] | undefined) ?? []).map(Number),
    ...(found['band'] ? { band: found['band'] as { low: number; high: number } } : {}),
    ...(typeof found['lastState'] === 'string' ? { lastState: found['lastState'] as CaseloadEntry['lastState'] } : {}),
    repairOpen: found['repairOpen'] === true,
    expiredInARow: Number(found['expiredInARow'] ?? 0),
    quietAfterExpired: Number(found['quietAfterExpired'] ?? 2),
    openAlerts: set(found['openAlerts']),
    commentSessions: set(found['commentSessions']),
    unrepairedSessions: set(found['unrepairedSessions']),
  };
}
