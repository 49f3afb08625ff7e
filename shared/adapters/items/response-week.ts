/**
 * The response-week item: one therapist's alert counters for one ISO week (of the alerts' sending),
 * in the therapist's caseload partition (CASELOAD#<therapistId>, sort key RESPONSE#<week>: inside
 * the digest's one query): `sent` (alerts emailed to the therapist themselves) and `acknowledged`
 * (of those, acknowledged), each raised with one UpdateItem. Supervisor copies and alerts to a covering clinician are not counted: the
 * response rate is the therapist's own. Attributes: therapistId, week, sent, acknowledged,
 * sentAlerts and acknowledgedAlerts (string sets of `<sessionId>#<kind>`, so a repeated write
 * counts once: the counters are the sets' sizes), and ttl (RETENTION_WEEKS after the week). No
 * client data beyond session ids.
 */
import { toTtl, TTL_ATTRIBUTE } from '../table.ts';
import { isoWeek, type ResponseWeek } from '../../domain/caseload.ts';
import type { ItemKey, ItemKindKeys, UpdateRequest } from './item.ts';

export const RESPONSE_WEEK_ITEM = { kind: 'response-week', type: 'TherapistResponseWeek', partitionKeyPrefix: 'CASELOAD#', sortKey: 'RESPONSE#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

/** Weeks a week's counters are kept: longer than any response-rate period the digest uses. */
export const RETENTION_WEEKS = 26;

export function key(therapistId: string, week: string): ItemKey {
  return { pk: `${RESPONSE_WEEK_ITEM.partitionKeyPrefix}${therapistId}`, sk: `${RESPONSE_WEEK_ITEM.sortKey}${week}` };
}

/** Counts an alert sent to the therapist (`sent`) or its acknowledgement (`acknowledged`), in the week it was sent. */
export function count(therapistId: string, what: 'sent' | 'acknowledged', alert: { sessionId: string; kind: string; sentAt: string }): UpdateRequest {
  const sentAt = new Date(alert.sentAt);
  const week = isoWeek(sentAt);
  const set = what === 'sent' ? 'sentAlerts' : 'acknowledgedAlerts';
  return {
    Key: key(therapistId, week),
    UpdateExpression: `SET #type = :type, therapistId = :therapistId, week = :week, #ttl = if_not_exists(#ttl, :ttl) ADD ${set} :alert`,
    ExpressionAttributeNames: { '#type': 'type', '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':type': RESPONSE_WEEK_ITEM.type,
      ':therapistId': therapistId,
      ':week': week,
      ':ttl': toTtl(new Date(sentAt.getTime() + RETENTION_WEEKS * 7 * 86_400_000)),
      ':alert': new Set([`${alert.sessionId}#${alert.kind}`]),
    },
  };
}

export function isResponseWeekItem(found: Record<string, unknown>): boolean {
  return typeof found['sk'] === 'string' && found['sk'].startsWith(RESPONSE_WEEK_ITEM.sortKey);
}

export function fromItem(found: Record<string, unknown>): ResponseWeek {
  const size = (value: unknown) => (value instanceof Set ? value.size : Array.isArray(value) ? value.length : 0);
  return { week: found['week'] as string, sent: size(found['sentAlerts']), acknowledged: size(found['acknowledgedAlerts']) };
}
