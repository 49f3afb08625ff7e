/**
 * The therapist item: one therapist of the practice's directory (`alliance therapists`), the only
 * address alerts and anything else carrying a client's history are mailed to. Attributes:
 * therapistId, email, name (optional), timeZone (optional: the IANA zone the therapist reads dates
 * in; unset, the practice's), digest (`off`: no weekly digest; unset: on), registeredAt (the first registration, kept by later
 * changes), registeredBy (`administrator`: `alliance therapists add|import`; `practice-domain`:
 * the request function, on first sight of an address at one of the practice's own domains) and
 * updatedAt (the last change by the administrator); and routing (`alliance therapists add
 * --supervisor`, `cover`): supervisorId, superviseKinds (a list; unset: the default kinds),
 * coveringId, coveringFrom, coveringUntil (ISO dates, both included).
 *
 * It carries no clientId: it is the therapist's data, not a client's, so a client's export and
 * erase never touch it (`alliance therapists list --json` and `remove` cover it). The partition
 * THERAPIST#<id> leaves room for what the directory learns next (time zone, supervisors) as more
 * attributes of this item, and holds the therapist's waiting alerts (./waiting-alert.ts) and the
 * administrator's notice mark (./therapist-notice.ts).
 */
import type { ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { ALERT_KINDS, type AlertKind } from '../../events/contracts.ts';
import type { DirectoryEntry, RegisteredTherapist, TherapistRegisteredBy } from '../../use-cases/ports.ts';
import type { DeleteRequest, GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const THERAPIST_ITEM = { kind: 'therapist', type: 'Therapist', partitionKeyPrefix: 'THERAPIST#', sortKey: 'PROFILE' } as const satisfies ItemKindKeys;

export function key(therapistId: string): ItemKey {
  return { pk: `${THERAPIST_ITEM.partitionKeyPrefix}${therapistId}`, sk: THERAPIST_ITEM.sortKey };
}

/**
 * Strongly consistent: an address the administrator just registered (or corrected) must be the one
 * the next alert goes to.
 */
export function get(therapistId: string): GetRequest {
  return { Key: key(therapistId), ConsistentRead: true };
}

/** The entry from a stored item, or undefined for none (or one this version cannot read). */
export function fromItem(item: Record<string, unknown> | undefined): DirectoryEntry | undefined {
  if (item === undefined) return undefined;
  const { therapistId, email, name, timeZone, digest, registeredAt, registeredBy, updatedAt, supervisorId, superviseKinds, coveringId, coveringFrom, coveringUntil } = item;
  if (typeof therapistId !== 'string' || typeof email !== 'string' || typeof registeredAt !== 'string') return undefined;
  return {
    therapistId,
    email,
    ...(typeof name === 'string' ? { name } : {}),
    ...(typeof timeZone === 'string' ? { timeZone } : {}),
    ...(digest === 'off' ? { digest: 'off' as const } : {}),
    registeredAt,
    registeredBy: registeredBy === 'practice-domain' ? 'practice-domain' : 'administrator',
    ...(typeof updatedAt === 'string' ? { updatedAt } : {}),
    ...(typeof supervisorId === 'string' ? { supervisorId } : {}),
    ...(Array.isArray(superviseKinds) ? { superviseKinds: superviseKinds.filter((kind): kind is AlertKind => (ALERT_KINDS as readonly unknown[]).includes(kind)) } : {}),
    ...(typeof coveringId === 'string' && typeof coveringFrom === 'string' && typeof coveringUntil === 'string' ? { covering: { therapistId: coveringId, from: coveringFrom, until: coveringUntil } } : {}),
  };
}

/** Sets or removes the supervisor (and the kinds they are copied on), on a registered entry only. */
export function setSupervisor(therapistId: string, supervisor: { supervisorId: string; superviseKinds?: readonly AlertKind[] | undefined } | undefined, now: string): UpdateRequest {
  const kinds = supervisor?.superviseKinds;
  return {
    Key: key(therapistId),
    UpdateExpression:
      supervisor === undefined
        ? 'SET updatedAt = :now REMOVE supervisorId, superviseKinds'
        : `SET updatedAt = :now, supervisorId = :supervisorId${kinds === undefined ? ' REMOVE superviseKinds' : ', superviseKinds = :kinds'}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: {
      ':now': now,
      ...(supervisor === undefined ? {} : { ':supervisorId': supervisor.supervisorId }),
      ...(kinds === undefined ? {} : { ':kinds': [...kinds] }),
    },
  };
}

/** Sets or removes the covering clinician and their ISO date range, on a registered entry only. */
export function setCovering(therapistId: string, covering: { therapistId: string; from: string; until: string } | undefined, now: string): UpdateRequest {
  return {
    Key: key(therapistId),
    UpdateExpression:
      covering === undefined ? 'SET updatedAt = :now REMOVE coveringId, coveringFrom, coveringUntil' : 'SET updatedAt = :now, coveringId = :id, coveringFrom = :from, coveringUntil = :until',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':now': now, ...(covering === undefined ? {} : { ':id': covering.therapistId, ':from': covering.from, ':until': covering.until }) },
  };
}

/**
 * Registers a therapist seen for the first time, only if nobody registered them meanwhile: an
 * event never overwrites the directory (a changed address in an event is not taken).
 */
export function registerIfAbsent(therapist: RegisteredTherapist, registeredAt: string, registeredBy: TherapistRegisteredBy): PutRequest {
  return {
    Item: {
      ...key(therapist.therapistId),
      type: THERAPIST_ITEM.type,
      therapistId: therapist.therapistId,
      email: therapist.email,
      ...(therapist.name === undefined ? {} : { name: therapist.name }),
      ...(therapist.timeZone === undefined ? {} : { timeZone: therapist.timeZone }),
      ...(therapist.digest === undefined ? {} : { digest: therapist.digest }),
      registeredAt,
      registeredBy,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/**
 * The administrator's entry (`add`, `import`): sets the address, name and time zone, keeps the first
 * registration's time; ALL_OLD tells added from updated. Attributes it does not name (what later
 * versions add: supervisors) are left as they are.
 */
export function save(therapist: RegisteredTherapist, now: string): UpdateRequest {
  // The entry states name and zone: one it leaves out is removed (the practice's zone applies).
  const removed = [...(therapist.name === undefined ? ['#name'] : []), ...(therapist.timeZone === undefined ? ['#timeZone'] : []), ...(therapist.digest === undefined ? ['#digest'] : [])];
  return {
    Key: key(therapist.therapistId),
    UpdateExpression:
      'SET #type = :type, therapistId = :therapistId, email = :email, registeredAt = if_not_exists(registeredAt, :now), registeredBy = :registeredBy, updatedAt = :now' +
      (therapist.name === undefined ? '' : ', #name = :name') +
      (therapist.timeZone === undefined ? '' : ', #timeZone = :timeZone') +
      (therapist.digest === undefined ? '' : ', #digest = :digest') +
      (removed.length === 0 ? '' : ` REMOVE ${removed.join(', ')}`),
    // ZONE is a DynamoDB reserved word: the zone's attribute is named through #timeZone.
    ExpressionAttributeNames: { '#type': 'type', '#name': 'name', '#timeZone': 'timeZone', '#digest': 'digest' },
    ExpressionAttributeValues: {
      ':type': THERAPIST_ITEM.type,
      ':therapistId': therapist.therapistId,
      ':email': therapist.email,
      ':now': now,
      ':registeredBy': 'administrator',
      ...(therapist.name === undefined ? {} : { ':name': therapist.name }),
      ...(therapist.timeZone === undefined ? {} : { ':timeZone': therapist.timeZone }),
      ...(therapist.digest === undefined ? {} : { ':digest': therapist.digest }),
    },
    ReturnValues: 'ALL_OLD',
  };
}

/** ALL_OLD tells whether there was an entry to remove. */
export function remove(therapistId: string): DeleteRequest {
  return { Key: key(therapistId), ReturnValues: 'ALL_OLD' };
}

/** Every therapist item (a consistent scan: the administrator's list shows what they just changed). */
export function scanAll(): Omit<ScanCommandInput, 'TableName'> {
  return {
    FilterExpression: 'begins_with(pk, :prefix) AND sk = :sk',
    ExpressionAttributeValues: { ':prefix': THERAPIST_ITEM.partitionKeyPrefix, ':sk': THERAPIST_ITEM.sortKey },
    ConsistentRead: true,
  };
}

/**
 * The table's one secondary index: the therapist directory, for the hourly digest dispatch (which
 * must list every therapist, and may not scan a table that holds every client's history). Keyed on
 * attributes only therapist items have — `registeredBy` (partition: `administrator` or
 * `practice-domain`) and `therapistId` (sort) — so it is sparse: it holds the directory and
 * nothing else, and every therapist registered since the directory existed is in it without a
 * migration. It projects only what the dispatch reads (zone and digest switch): no address.
 */
export const THERAPIST_INDEX = {
  name: 'therapist-directory',
  partitionKey: 'registeredBy',
  sortKey: 'therapistId',
  projected: ['timeZone', 'digest'],
} as const;

/** The partitions of the index: how a therapist came into the directory. */
const REGISTERED_BY: readonly TherapistRegisteredBy[] = ['administrator', 'practice-domain'];

/** One Query of the index per partition (paged by the caller). */
export function queryDirectoryIndex(): Omit<import('@aws-sdk/lib-dynamodb').QueryCommandInput, 'TableName'>[] {
  return REGISTERED_BY.map((registeredBy) => ({
    IndexName: THERAPIST_INDEX.name,
    KeyConditionExpression: '#by = :by',
    ExpressionAttributeNames: { '#by': THERAPIST_INDEX.partitionKey, '#timeZone': 'timeZone', '#digest': 'digest' },
    ExpressionAttributeValues: { ':by': registeredBy },
    ProjectionExpression: `therapistId, #timeZone, #digest`,
  }));
}

/** What the dispatch reads of a therapist from the index. */
export function fromIndexItem(item: Record<string, unknown>): { therapistId: string; timeZone?: string; digest?: 'off' } | undefined {
  const { therapistId, timeZone, digest } = item;
  if (typeof therapistId !== 'string') return undefined;
  return { therapistId, ...(typeof timeZone === 'string' ? { timeZone } : {}), ...(digest === 'off' ? { digest: 'off' as const } : {}) };
}
