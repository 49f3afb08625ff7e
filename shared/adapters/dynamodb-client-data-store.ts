/**
 * ClientDataStore on DynamoDB: every item that belongs to a client carries its `clientId`
 * (sessions, evaluations, alert claims, the profile, detector records, form, opt-out and alert links), so
 * one consistent scan of the table, filtered on it, finds them all; the key tells each item's kind
 * (items/index.ts).
 *
 * Why a scan and no index on `clientId`: export and erase run a few times a year, and a scan costs
 * reads in proportion to the table's size (one read unit per 4 KB scanned) only then. An index
 * would cost one more write unit on every item written, on the hot path of every session.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientContactStore, ClientDataStore, ClientItem, DoNotContactEntry } from '../use-cases/ports.ts';
import { addToDoNotContactList } from './dynamodb-do-not-contact-list.ts';
import * as clientProfileItem from './items/client-profile.ts';
import { DETECTOR_STATE_ITEM } from './items/detector-state.ts';
import * as doNotContactItem from './items/do-not-contact.ts';
import { kindOfKey } from './items/index.ts';
import { SESSION_ITEM } from './items/session.ts';
import { TABLE_KEYS, TTL_ATTRIBUTE } from './table.ts';

type Key = Readonly<Record<string, string>>;

/** The attribute every item that belongs to one client carries. */
const CLIENT_ID_ATTRIBUTE = 'clientId';

/** DynamoDB's batch limit. */
const BATCH_WRITE_LIMIT = 25;
/** Attempts at a batch's unprocessed part before giving up (a rerun picks up where this stopped). */
const BATCH_ATTEMPTS = 8;

/** A DynamoDB batch call left part of its work undone after every retry. */
export class UnprocessedItemsError extends Error {
  override name = 'UnprocessedItemsError';
}

export class DynamoDbClientDataStore implements ClientDataStore, ClientContactStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient,
    /** Backoff between attempts at a throttled batch (tests pass a shorter one). */
    private readonly backoffMs: (attempt: number) => number = (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  ) {}

  /**
   * Every page of a scan of the whole table, filtered on `clientId`. Consistent, so an item written
   * just before an erasure is not missed (twice the read units of an eventually consistent scan,
   * for a rare command).
   */
  async findClientItems(clientId: string): Promise<ClientItem[]> {
    const found = await pages((ExclusiveStartKey) =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#client = :client',
          ExpressionAttributeNames: { '#client': CLIENT_ID_ATTRIBUTE },
          ExpressionAttributeValues: { ':client': clientId },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      ),
    );
    return found.map(toClientItem);
  }

  async deleteItems(itemKeys: readonly Key[]): Promise<void> {
    for (let start = 0; start < itemKeys.length; start += BATCH_WRITE_LIMIT) {
      let requests = itemKeys.slice(start, start + BATCH_WRITE_LIMIT).map((key) => ({ DeleteRequest: { Key: key } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt === BATCH_ATTEMPTS) throw new UnprocessedItemsError(`${requests.length} deletes still unprocessed after ${BATCH_ATTEMPTS} attempts; run erase again`);
        if (attempt > 0) await delay(this.backoffMs(attempt));
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  async writeTombstone(clientId: string, erasedAt: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, ...clientProfileItem.tombstone(clientId, erasedAt) }));
  }

  async addDoNotContact(addressHash: string, entry: DoNotContactEntry): Promise<void> {
    await addToDoNotContactList(this.client, this.tableName, addressHash, entry);
  }

  async liftClientBlock(clientId: string): ReturnType<ClientContactStore['liftClientBlock']> {
    try {
      const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...clientProfileItem.lift(clientId) }));
      const old = result.Attributes ?? {};
      return {
        found: 'profile',
        lifted: [...(old['optedOutAt'] ? (['opted-out'] as const) : []), ...(old['undeliverableAt'] ? (['undeliverable'] as const) : [])],
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { found: error.Item?.['erasedAt'] ? 'erased' : 'nothing' };
    }
  }

  async removeDoNotContact(addressHash: string): Promise<boolean> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tableName, ...doNotContactItem.remove(addressHash) }));
    return result.Attributes !== undefined;
  }
}

type Page = { Items?: Record<string, unknown>[] | undefined; LastEvaluatedKey?: Record<string, unknown> | undefined };

/** Every item of a paginated scan. */
async function pages(fetch: (startKey: Record<string, unknown> | undefined) => Promise<Page>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await fetch(startKey);
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

function toClientItem(item: Record<string, unknown>): ClientItem {
  const { [TABLE_KEYS.partitionKey]: pk, [TABLE_KEYS.sortKey]: sk, [TTL_ATTRIBUTE]: ttl, ...attributes } = item;
  const key = { pk: String(pk), sk: String(sk) };
  const kind = kindOfKey(key);
  const sessionId = kind?.partitionKeyPrefix === SESSION_ITEM.partitionKeyPrefix ? key.pk.slice(kind.partitionKeyPrefix.length) : attributes['sessionId'];
  return {
    kind: kind?.kind ?? 'other',
    key: { [TABLE_KEYS.partitionKey]: key.pk, [TABLE_KEYS.sortKey]: key.sk },
    sessionId: typeof sessionId === 'string' ? sessionId : undefined,
    instrumentId: kind === DETECTOR_STATE_ITEM ? key.sk.slice(DETECTOR_STATE_ITEM.sortKey.length) : undefined,
    deleteAfter: typeof ttl === 'number' ? new Date(ttl * 1000) : undefined,
    attributes,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
