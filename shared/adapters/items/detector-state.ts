/**
 * The detector-state item: the detector's running summary of one client on one instrument, in the
 * client's partition. Plain attributes: clientId, instrumentId, the ClientState's fields (format,
 * version, instrument, baseline, watch, repair, expiredInARow, trend) and appliedSessionIds.
 * Bounded whatever the client's history: the baseline keeps at most `baselineMax` sessions, the
 * trend TREND_LENGTH, the applied ids REMEMBERED_SESSIONS.
 */
import type { DetectorRecord } from '../../use-cases/ports.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const DETECTOR_STATE_ITEM = { kind: 'detector', type: 'DetectorState', partitionKeyPrefix: 'CLIENT#', sortKey: 'DETECTOR#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

export function key(clientId: string, instrumentId: string): ItemKey {
  return { pk: `${DETECTOR_STATE_ITEM.partitionKeyPrefix}${clientId}`, sk: `${DETECTOR_STATE_ITEM.sortKey}${instrumentId}` };
}

/** Eventually consistent is enough: a stale read loses the version race and is retried. */
export function get(clientId: string, instrumentId: string): GetRequest {
  return { Key: key(clientId, instrumentId) };
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
  const { format, version, instrument, baseline, watch, repair, expiredInARow, trend } = record.state;
  return {
    ...key(clientId, instrumentId),
    type: DETECTOR_STATE_ITEM.type,
    clientId,
    instrumentId,
    format,
    version,
    instrument,
    baseline,
    watch,
    repair,
    expiredInARow,
    trend,
    appliedSessionIds: record.applied,
  };
}

export function fromItem(found: Record<string, unknown>): DetectorRecord {
  const state = found as unknown as DetectorRecord['state'];
  return {
    state: {
      format: state.format,
      version: state.version,
      instrument: state.instrument,
      baseline: state.baseline,
      watch: state.watch,
      repair: state.repair,
      expiredInARow: state.expiredInARow,
      trend: state.trend,
    },
    applied: (found['appliedSessionIds'] as string[] | undefined) ?? [],
  };
}
