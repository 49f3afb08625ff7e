/**
 * ClientDataStore on DynamoDB: a client's items are the ones that carry their `clientId` (sessions,
 * the profile, detector records, form and alert links), found by scanning the whole table, plus
 * every other item in those sessions' partitions and the client's own (evaluations, alert claims).
 *
 * Why a scan and no index on `clientId`: export and erase run a few times a year, and a scan costs
 * reads in proportion to the table's size (one read unit per 4 KB scanned) only then. A
 * client index cost one more write unit on every session, form link and alert link written (3 per
 * session, on the hot path of every request), and it was read only by these two commands.
 */
import { BatchGetCommand, BatchWriteCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientDataStore, ClientItem, ItemKind } from '../use-cases/client-data.ts';
import { unpack } from './packed-json.ts';
import { keys, TABLE_KEYS, TTL_ATTRIBUTE } from './table.ts';

type Key = Readonly<Record<string, string>>;

const SESSION_PREFIX = keys.session('').pk;
const CLIENT_PREFIX = keys.client('').pk;

/** The attribute every item that belongs to one client carries (evaluations and alert claims are found through their session). */
const CLIENT_ID_ATTRIBUTE = 'clientId';

/** DynamoDB's batch limits. */
const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;
/** Attempts at a batch's unprocessed part before giving up (a rerun picks up where this stopped). */
const BATCH_ATTEMPTS = 8;

/** A DynamoDB batch call left part of its work undone after every retry. */
export class UnprocessedItemsError extends Error {
  override name = 'UnprocessedItemsError';
}

export class DynamoDbClientDataStore implements ClientDataStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient,
    /** Backoff between attempts at a throttled batch (tests pass a shorter one). */
    private readonly backoffMs: (attempt: number) => number = (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  ) {}

  async findClientItems(clientId: string): Promise<ClientItem[]> {
    const carrying = await this.keysCarryingClientId(clientId);
    const partitions = new Set<string>([keys.client(clientId).pk]);
    const singles: Key[] = [];
    for (const key of carrying) {
      const pk = key[TABLE_KEYS.partitionKey] ?? '';
      if (pk.startsWith(SESSION_PREFIX) || pk.startsWith(CLIENT_PREFIX)) partitions.add(pk);
      else singles.push(key);
    }
    const items: Record<string, unknown>[] = [];
    for (const pk of partitions) items.push(...(await this.partition(pk)));
    items.push(...(await this.getAll(singles)));
    return items.map(toClientItem);
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

  /**
   * Keys of the items that carry the client's id: every page of a scan of the whole table, filtered
   * on `clientId` and projected to the keys. Consistent, so an item written just before an erasure
   * is not missed (twice the read units of an eventually consistent scan, for a rare command).
   */
  private async keysCarryingClientId(clientId: string): Promise<Key[]> {
    const found = await pages((ExclusiveStartKey) =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#client = :client',
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#client': CLIENT_ID_ATTRIBUTE, '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
          ExpressionAttributeValues: { ':client': clientId },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      ),
    );
    return found.map(keyOf);
  }

  private partition(pk: string): Promise<Record<string, unknown>[]> {
    return pages((ExclusiveStartKey) =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      ),
    );
  }

  private async getAll(itemKeys: readonly Key[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let start = 0; start < itemKeys.length; start += BATCH_GET_LIMIT) {
      let pending: Key[] = itemKeys.slice(start, start + BATCH_GET_LIMIT);
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt === BATCH_ATTEMPTS) throw new UnprocessedItemsError(`${pending.length} reads still unprocessed after ${BATCH_ATTEMPTS} attempts`);
        if (attempt > 0) await delay(this.backoffMs(attempt));
        const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        items.push(...((result.Responses?.[this.tableName] ?? []) as Record<string, unknown>[]));
        pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
      }
    }
    return items;
  }
}

type Page = { Items?: Record<string, unknown>[] | undefined; LastEvaluatedKey?: Record<string, unknown> | undefined };

/** Every item of a paginated query or scan. */
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

function keyOf(item: Record<string, unknown>): Key {
  return { [TABLE_KEYS.partitionKey]: String(item[TABLE_KEYS.partitionKey]), [TABLE_KEYS.sortKey]: String(item[TABLE_KEYS.sortKey]) };
}

function kindOf(pk: string, sk: string): ItemKind {
  if (pk.startsWith(SESSION_PREFIX)) {
    if (sk === keys.session('').sk) return 'session';
    if (sk === keys.evaluation('').sk) return 'evaluation';
    if (sk.startsWith(keys.alert('', '').sk)) return 'alert-claim';
  } else if (pk.startsWith(CLIENT_PREFIX)) {
    if (sk === keys.client('').sk) return 'profile';
    if (sk.startsWith(keys.detector('', '').sk)) return 'detector';
  } else {
    if (sk === keys.formToken('').sk) return 'form-link';
    if (sk === keys.alertLink('').sk) return 'alert-link';
  }
  return 'other';
}

function toClientItem(item: Record<string, unknown>): ClientItem {
  const { [TABLE_KEYS.partitionKey]: pk, [TABLE_KEYS.sortKey]: sk, [TTL_ATTRIBUTE]: ttl, ...stored } = item;
  // Detector records and evaluations keep their body packed (packed-json.ts): export it readable.
  const { packed, ...plain } = stored;
  const attributes = packed instanceof Uint8Array ? { ...plain, ...unpack<Record<string, unknown>>(packed) } : stored;
  const pkText = String(pk);
  const skText = String(sk);
  const kind = kindOf(pkText, skText);
  const sessionId = pkText.startsWith(SESSION_PREFIX) ? pkText.slice(SESSION_PREFIX.length) : typeof attributes['sessionId'] === 'string' ? attributes['sessionId'] : undefined;
  return {
    kind,
    key: { [TABLE_KEYS.partitionKey]: pkText, [TABLE_KEYS.sortKey]: skText },
    sessionId,
    instrumentId: kind === 'detector' ? skText.slice(keys.detector('', '').sk.length) : undefined,
    deleteAfter: typeof ttl === 'number' ? new Date(ttl * 1000) : undefined,
    attributes,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
