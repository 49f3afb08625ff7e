/**
 * The client roster on DynamoDB (items/roster-client.ts): `find` for the inbound adapters, which
 * complete a SessionCompleted from it (shared/use-cases/complete-session.ts), and list, put, remove
 * and the erasure check for `alliance clients import|list|remove`.
 *
 * Inbound handlers build it with `clientRosterFrom(tableName)`; their access declaration
 * (infra/function-access.ts) needs `get: ['roster-client']` for `find`, nothing more.
 */
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientRoster, ClientRosterStore, RosterClient, StoredRosterClient } from '../use-cases/ports.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import * as clientProfileItem from './items/client-profile.ts';
import * as rosterClientItem from './items/roster-client.ts';

/** Puts in flight at once during an import: quick on a big roster, gentle on an on-demand table's first minutes. */
const PUTS_IN_FLIGHT = 8;
/** DynamoDB's BatchGetItem limit. */
const BATCH_GET_LIMIT = 100;
/** Attempts at a batch's unprocessed keys before giving up (the import applies nothing then). */
const BATCH_ATTEMPTS = 8;

export class DynamoDbClientRoster implements ClientRosterStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** Backoff between attempts at a throttled batch (tests pass a shorter one). */
    private readonly backoffMs: (attempt: number) => number = (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  ) {}

  async find(clientId: string): Promise<RosterClient | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...rosterClientItem.get(clientId) }));
    return result.Item ? rosterClientItem.toRosterClient(result.Item) : undefined;
  }

  async list(): Promise<StoredRosterClient[]> {
    const entries: StoredRosterClient[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ TableName: this.tableName, ...rosterClientItem.queryAll(startKey) }));
      entries.push(...(page.Items ?? []).map(rosterClientItem.toStoredRosterClient));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }

  async put(entries: readonly StoredRosterClient[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        await this.client.send(new PutCommand({ TableName: this.tableName, ...rosterClientItem.put(entry) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUTS_IN_FLIGHT, entries.length) }, worker));
  }

  async remove(clientId: string): Promise<boolean> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tableName, ...rosterClientItem.remove(clientId) }));
    return result.Attributes !== undefined;
  }

  async erasedAmong(clientIds: readonly string[]): Promise<Set<string>> {
    const erased = new Set<string>();
    const unique = [...new Set(clientIds)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = unique.slice(start, start + BATCH_GET_LIMIT).map((clientId) => ({ ...clientProfileItem.key(clientId) }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt === BATCH_ATTEMPTS) throw new Error(`${keys.length} client profiles still unread after ${BATCH_ATTEMPTS} attempts; run the import again`);
        if (attempt > 0) await delay(this.backoffMs(attempt));
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ...clientProfileItem.erasureProjection(), ConsistentRead: true } } }),
        );
        for (const profile of result.Responses?.[this.tableName] ?? []) {
          if (clientProfileItem.isErased(profile)) erased.add(String(profile['clientId']));
        }
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return erased;
  }
}

/** The roster the inbound handlers complete sessions from (the container's shared DynamoDB client). */
export function clientRosterFrom(tableName: string, client: DynamoDBDocumentClient = getDocumentClient()): ClientRoster {
  return new DynamoDbClientRoster(tableName, client);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
