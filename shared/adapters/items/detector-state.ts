/**
 * The detector-state item: the detector's running summary of one client on one instrument, in the
 * client's partition. Plain attributes: clientId, the ClientState's fields (format, version,
 * instrument — its id is also the sort key's end —, baseline, watch, repair, expiredInARow, trend,
 * lastState once a session was answered, and `pending` only while a low session waits for
 * confirmation), appliedSessionIds and therapistId. Records written before lastState also have an
 * instrumentId attribute and a state in every trend point; they read as before.
 * Bounded whatever the client's history: the baseline keeps at most `baselineMax` sessions, the
 * trend TREND_LENGTH, the applied ids REMEMBERED_SESSIONS.
 */
import type { ClientState, EvaluationState } from '../../domain/detector/state.ts';
import type { DetectorRecord } from '../../use-cases/ports.ts';
import type { ItemKey, ItemKindKeys, PutRequest, QueryRequest } from './item.ts';

export const DETECTOR_STATE_ITEM = { kind: 'detector', type: 'DetectorState', partitionKeyPrefix: 'CLIENT#', sortKey: 'DETECTOR#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

export function key(clientId: string, instrumentId: string): ItemKey {
  return { pk: `${DETECTOR_STATE_ITEM.partitionKeyPrefix}${clientId}`, sk: `${DETECTOR_STATE_ITEM.sortKey}${instrumentId}` };
}

/**
 * The record together with the client's profile, in one Query of the client's partition: from
 * DETECTOR#<instrument> to PROFILE, nothing sorts between them but the records of other
 * instruments (rare). The profile says whether the client was erased (it is then their tombstone),
 * for the read units of the GetItem alone while the two together stay under 4 KB. Eventually
 * consistent is enough: a stale record loses the version race and is retried.
 */
export function queryWithProfile(clientId: string, instrumentId: string, profileSortKey: string): QueryRequest {
  const { pk, sk } = key(clientId, instrumentId);
  return {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :record AND :profile',
    ExpressionAttributeValues: { ':pk': pk, ':record': sk, ':profile': profileSortKey },
  };
}

/** Whether an item the query found is this instrument's record. */
export function isRecordOf(found: Record<string, unknown>, instrumentId: string): boolean {
  return found['sk'] === key('', instrumentId).sk;
}

/** Writes the record only if nobody wrote it since `expectedVersion` (optimistic concurrency on `version`). */
export function put(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number): PutRequest {
  return {
    Item: toItem(clientId, instrumentId, record),
    ...(expectedVersion === 0
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
  };
}

/** The stored item of a record (exported for the item-size tests). */
export function toItem(clientId: string, instrumentId: string, record: DetectorRecord): Record<string, unknown> {
  const { format, version, instrument, baseline, watch, repair, pending, expiredInARow, trend, lastState } = record.state;
  return {
    ...key(clientId, instrumentId),
    type: DETECTOR_STATE_ITEM.type,
    clientId,
    format,
    version,
    instrument,
    baseline,
    watch,
    repair,
    ...(pending === undefined ? {} : { pending }),
    expiredInARow,
    trend,
    ...(lastState === undefined ? {} : { lastState }),
    appliedSessionIds: record.applied,
    ...(record.therapistId === undefined ? {} : { therapistId: record.therapistId }),
  };
}

export function fromItem(found: Record<string, unknown>): DetectorRecord {
  const state = found as unknown as DetectorRecord['state'];
  // Records written before lastState kept a state in every trend point: the last point's is lastState.
  const oldTrend = found['trend'] as (ClientState['trend'][number] & { state?: EvaluationState })[];
  const lastState = state.lastState ?? oldTrend.at(-1)?.state;
  return {
    state: {
      format: state.format,
      version: state.version,
      instrument: state.instrument,
      baseline: state.baseline,
      watch: state.watch,
      repair: state.repair,
      // Absent on records stored before confirmed dips, and whenever nothing waits.
      ...(state.pending === undefined || state.pending === null ? {} : { pending: state.pending }),
      expiredInARow: state.expiredInARow,
      trend: oldTrend.map(({ endedAt, p }) => ({ endedAt, p })),
      ...(lastState === undefined ? {} : { lastState }),
    },
    applied: (found['appliedSessionIds'] as string[] | undefined) ?? [],
    ...(typeof found['therapistId'] === 'string' ? { therapistId: found['therapistId'] } : {}),
  };
}
