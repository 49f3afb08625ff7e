/**
 * The client's profile item: what decides whether the client may be emailed. Attributes: clientId,
 * lastRequestSessionId and lastRequestEndedAt (the request throttle's slot), addressHash (the keyed
 * hash of the address last requested to, so the do-not-contact list is asked only about a new
 * address), optedOutAt, undeliverableAt and undeliverableReason. Created by whichever update
 * reaches it first.
 *
 * Once the client is erased it is their tombstone: `clientId` and `erasedAt`, nothing else. It
 * stays on the profile's key, not in an item of its own, because the request already makes one
 * conditional write to this item for every session (the request slot): the tombstone is checked in
 * that same condition at no extra cost, and the evaluation finds it in the one Query that reads
 * the client's detector record (same partition, sort keys DETECTOR#… < PROFILE).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RequestSlot, ReserveResult } from '../../use-cases/ports.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const CLIENT_PROFILE_ITEM = { kind: 'profile', type: 'Client', partitionKeyPrefix: 'CLIENT#', sortKey: 'PROFILE' } as const satisfies ItemKindKeys;

export function key(clientId: string): ItemKey {
  return { pk: `${CLIENT_PROFILE_ITEM.partitionKeyPrefix}${clientId}`, sk: CLIENT_PROFILE_ITEM.sortKey };
}

/**
 * Takes the client's request slot for this session unless the client opted out, cannot be mailed,
 * or was asked about a session that ended within the throttle window; ALL_OLD on refusal says which.
 */
export function reserveRequest(input: { clientId: string; sessionId: string; endedAt: string; window: { after: string; before: string }; addressHash: string }): UpdateRequest {
  return {
    Key: key(input.clientId),
    // addressHash: the keyed hash of the address this request goes to, so the next request knows
    // whether the do-not-contact list was already asked about it.
    UpdateExpression: 'SET #type = :type, clientId = :clientId, lastRequestSessionId = :sessionId, lastRequestEndedAt = :endedAt, addressHash = :addressHash',
    ConditionExpression:
      'attribute_not_exists(erasedAt) AND attribute_not_exists(optedOutAt) AND attribute_not_exists(undeliverableAt) AND ' +
      '(attribute_not_exists(lastRequestEndedAt) OR lastRequestSessionId = :sessionId OR ' +
      'lastRequestEndedAt <= :after OR lastRequestEndedAt >= :before)',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: {
      ':type': CLIENT_PROFILE_ITEM.type,
      ':clientId': input.clientId,
      ':sessionId': input.sessionId,
      ':endedAt': input.endedAt,
      ':after': input.window.after,
      ':before': input.window.before,
      ':addressHash': input.addressHash,
    },
    // The profile as it was, at no extra cost: whether the address is known, and the slot to give back.
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** The reservation made, read from the profile as it was before it (the update's ALL_OLD). */
export function reserved(previous: Record<string, unknown> | undefined, addressHash: string): ReserveResult & { reserved: true } {
  const sessionId = previous?.['lastRequestSessionId'];
  const endedAt = previous?.['lastRequestEndedAt'];
  return {
    reserved: true,
    addressKnown: previous?.['addressHash'] === addressHash,
    previousSlot: typeof sessionId === 'string' && typeof endedAt === 'string' ? { sessionId, endedAt } : undefined,
  };
}

/** Gives the slot back as it was, and forgets the address (only while this session still holds it). */
export function releaseRequest(clientId: string, sessionId: string, previousSlot: RequestSlot | undefined): UpdateRequest {
  const condition = { ConditionExpression: 'lastRequestSessionId = :sessionId' };
  if (previousSlot === undefined) {
    return { Key: key(clientId), UpdateExpression: 'REMOVE lastRequestSessionId, lastRequestEndedAt, addressHash', ...condition, ExpressionAttributeValues: { ':sessionId': sessionId } };
  }
  return {
    Key: key(clientId),
    UpdateExpression: 'SET lastRequestSessionId = :previousSessionId, lastRequestEndedAt = :previousEndedAt REMOVE addressHash',
    ...condition,
    ExpressionAttributeValues: { ':sessionId': sessionId, ':previousSessionId': previousSlot.sessionId, ':previousEndedAt': previousSlot.endedAt },
  };
}

/** Why the slot was refused, from the old item (wire format) the failed update returned. */
export function reserveRefusal(wireItem: Record<string, AttributeValue> | undefined): ReserveResult & { reserved: false } {
  if (wireItem?.['erasedAt']) return { reserved: false, reason: 'erased' };
  if (wireItem?.['optedOutAt']) return { reserved: false, reason: 'opted-out' };
  if (wireItem?.['undeliverableAt']) return { reserved: false, reason: 'undeliverable' };
  return { reserved: false, reason: 'throttled' };
}

/** Strongly consistent: an opt-out a moment ago must stop the reminder. */
export function getMailability(clientId: string): GetRequest {
  return { Key: key(clientId), ProjectionExpression: 'optedOutAt, undeliverableAt, erasedAt', ConsistentRead: true };
}

export function canEmail(found: Record<string, unknown> | undefined): boolean {
  return !found?.['optedOutAt'] && !found?.['undeliverableAt'] && !isErased(found);
}

// ── erasure ──────────────────────────────────────────────────────────────────────────────────────

/** Whether the client was erased (the profile is their tombstone). */
export function isErased(found: Record<string, unknown> | undefined): boolean {
  return typeof found?.['erasedAt'] === 'string';
}

/** Only the tombstone's mark (for the rare paths that must ask before writing anything). */
export function getErasure(clientId: string): GetRequest {
  return { Key: key(clientId), ProjectionExpression: 'erasedAt', ConsistentRead: true };
}

/** For a batch read of several profiles: whose they are and whether each is a tombstone (the roster import asks). */
export function erasureProjection(): { ProjectionExpression: string } {
  return { ProjectionExpression: 'clientId, erasedAt' };
}

/**
 * Replaces the profile with the tombstone: a whole-item put, so no attribute of the living profile
 * (opt-out, delivery problems, the last request) survives, whatever attributes later versions add.
 * `erasedAt` is the first erasure's time, which a repeated erase passes back.
 */
export function tombstone(clientId: string, erasedAt: string): PutRequest {
  return { Item: { ...key(clientId), type: CLIENT_PROFILE_ITEM.type, clientId, erasedAt } };
}

/**
 * Lifts an opt-out and a delivery block (`alliance clients unblock`): only on a living profile (a
 * tombstone stays one); ALL_OLD says what there was to lift.
 */
export function lift(clientId: string): UpdateRequest {
  return {
    Key: key(clientId),
    UpdateExpression: 'REMOVE optedOutAt, undeliverableAt, undeliverableReason',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(erasedAt)',
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** Marks the client opted out; if_not_exists keeps the first date, so a replayed click changes nothing. */
export function optOut(clientId: string, now: Date): UpdateRequest {
  return {
    Key: key(clientId),
    UpdateExpression: 'SET optedOutAt = if_not_exists(optedOutAt, :now), #type = if_not_exists(#type, :type), clientId = :clientId',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':now': now.toISOString(), ':type': CLIENT_PROFILE_ITEM.type, ':clientId': clientId },
    ReturnValues: 'ALL_OLD',
  };
}

/** The earlier opt-out date, from the item as it was before `optOut`. */
export function earlierOptOut(old: Record<string, unknown> | undefined): string | undefined {
  return old?.['optedOutAt'] as string | undefined;
}

/** Marks the client undeliverable; if_not_exists keeps the first report (SES may report an address many times). */
export function markUndeliverable(clientId: string, reason: 'bounce' | 'complaint', now: Date): UpdateRequest {
  return {
    Key: key(clientId),
    UpdateExpression:
      'SET undeliverableAt = if_not_exists(undeliverableAt, :now), undeliverableReason = if_not_exists(undeliverableReason, :reason), #type = if_not_exists(#type, :type), clientId = :clientId',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason, ':type': CLIENT_PROFILE_ITEM.type, ':clientId': clientId },
    // A tombstone holds clientId and erasedAt only: a late bounce must not add to what erase left.
    ConditionExpression: 'attribute_not_exists(erasedAt)',
    ReturnValues: 'UPDATED_OLD',
  };
}

/** Whether `markUndeliverable` was the first report, from the attributes it changed. */
export function firstUndeliverable(updatedOld: Record<string, unknown> | undefined): boolean {
  return updatedOld?.['undeliverableAt'] === undefined;
}
