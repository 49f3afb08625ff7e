/**
 * The roster-client item: one client on the practice's roster (`alliance clients import`), what an
 * appointment alone does not say — their address, first name, language and therapist. Attributes:
 * clientId, email, firstName, locale, therapistId, active (false: their appointments send nothing)
 * and importedAt (when an import last added or changed the entry). No TTL: the roster is the
 * practice's list, kept until the practice removes the client or erases them.
 *
 * Every entry lives in one partition (`ROSTER`, sort key `CLIENT#<clientId>`), for two reasons:
 * - the import compares the whole file with the whole roster, and `clients list` shows it: one
 *   Query of one partition instead of a scan of every session ever stored;
 * - `dynamodb:LeadingKeys` can then grant the inbound functions the roster and nothing else (under
 *   `CLIENT#` they would also reach every client's profile and detector record).
 * A practice's roster is thousands of small items, far from a partition's limits; the inbound
 * functions read single entries (GetItem), which DynamoDB spreads by sort key when one partition
 * gets hot (the table has no local index to stop it).
 *
 * It carries `clientId` like every item of a client: export shows it, erase deletes it.
 */
import type { RosterClient, StoredRosterClient } from '../../use-cases/ports.ts';
import type { DeleteRequest, GetRequest, ItemKey, ItemKindKeys, PutRequest, QueryRequest } from './item.ts';

export const ROSTER_CLIENT_ITEM = { kind: 'roster-client', type: 'RosterClient', partitionKeyPrefix: 'ROSTER', sortKey: 'CLIENT#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

/** The one partition every roster entry is in. */
const ROSTER_PARTITION = ROSTER_CLIENT_ITEM.partitionKeyPrefix;

export function key(clientId: string): ItemKey {
  return { pk: ROSTER_PARTITION, sk: `${ROSTER_CLIENT_ITEM.sortKey}${clientId}` };
}

/** The attributes of an entry, in the order a person reading the console expects them. */
const ATTRIBUTES = ['clientId', 'email', 'firstName', 'locale', 'therapistId', 'active', 'importedAt'] as const;

/** A whole-item put: an entry is replaced as the import read it (a first name the file no longer has is gone). */
export function put(entry: StoredRosterClient): PutRequest {
  return {
    Item: {
      ...key(entry.clientId),
      type: ROSTER_CLIENT_ITEM.type,
      clientId: entry.clientId,
      email: entry.email,
      ...(entry.firstName === undefined ? {} : { firstName: entry.firstName }),
      ...(entry.locale === undefined ? {} : { locale: entry.locale }),
      therapistId: entry.therapistId,
      active: entry.active,
      importedAt: entry.importedAt,
    },
  };
}

/**
 * Eventually consistent: a roster is imported long before the sessions it completes end (and a
 * second's lag on a change is harmless next to the EHR's own).
 */
export function get(clientId: string): GetRequest {
  return { Key: key(clientId), ProjectionExpression: ATTRIBUTES.join(', ') };
}

/** One page of the roster, in clientId order; consistent, so an import compares with what the last one wrote. */
export function queryAll(exclusiveStartKey: Record<string, unknown> | undefined): QueryRequest {
  return {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': ROSTER_PARTITION, ':prefix': ROSTER_CLIENT_ITEM.sortKey },
    ProjectionExpression: ATTRIBUTES.join(', '),
    ConsistentRead: true,
    ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
  };
}

/** ALL_OLD tells whether there was an entry. */
export function remove(clientId: string): DeleteRequest {
  return { Key: key(clientId), ReturnValues: 'ALL_OLD' };
}

/** The roster client an item holds, for the inbound adapters (no importedAt). */
export function toRosterClient(item: Record<string, unknown>): RosterClient {
  const { importedAt: _importedAt, ...client } = toStoredRosterClient(item);
  return client;
}

/** The stored entry an item holds. */
export function toStoredRosterClient(item: Record<string, unknown>): StoredRosterClient {
  const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  return {
    clientId: String(item['clientId']),
    email: String(item['email']),
    ...(text('firstName') === undefined ? {} : { firstName: text('firstName') }),
    ...(text('locale') === undefined ? {} : { locale: text('locale') }),
    therapistId: String(item['therapistId']),
    // Only an explicit false pauses a client: an entry written without the attribute is active.
    active: item['active'] !== false,
    importedAt: String(item['importedAt'] ?? ''),
  };
}
