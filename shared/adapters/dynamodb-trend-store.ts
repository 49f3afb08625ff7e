/**
 * The trend page's reads and the trend links on DynamoDB. A page view costs, after the link's
 * GetItem: one BatchGetItem of the therapist's entry and both revocation marks (same partition)
 * beside one Query of the client's last 26 history rows, then one BatchGetItem of those sessions
 * projected to the client's words. Bounded whatever the table's size; never a scan.
 */
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SessionWords, StoredHistoryEntry, TrendLink, TrendLinkStore, TrendPageStore } from '../use-cases/ports.ts';
import type { TrendLinkDeps } from '../use-cases/trend-link.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import { FORM_TOKEN_PATTERN, hashToken, randomTokens } from './form-tokens.ts';
import * as clientHistoryItem from './items/client-history.ts';
import * as sessionItem from './items/session.ts';
import * as therapistItem from './items/therapist.ts';
import * as trendLinkItem from './items/trend-link.ts';
import * as trendRevocationItem from './items/trend-revocation.ts';

/** DynamoDB's BatchGetItem limit; a page asks for at most 26 sessions. */
const BATCH_GET_LIMIT = 100;
/** Rounds at a batch's unprocessed keys (throttling) before the page gives up (503, try again). */
const BATCH_ATTEMPTS = 4;

type Key = Record<string, unknown>;
type KeyInput = Readonly<Record<string, unknown>> | { pk: string; sk: string };

export class DynamoDbTrendStore implements TrendLinkStore, TrendPageStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async saveTrendLink(tokenHash: string, link: TrendLink): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, ...trendLinkItem.put(tokenHash, link) }));
  }

  async findTrendLink(token: string): Promise<TrendLink | undefined> {
    if (!FORM_TOKEN_PATTERN.test(token)) return undefined;
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...trendLinkItem.get(hashToken(token)) }));
    return trendLinkItem.isTrendLink(result.Item) ? trendLinkItem.fromItem(result.Item) : undefined;
  }

  async revokeTrendLink(token: string, now: Date): Promise<boolean> {
    if (!FORM_TOKEN_PATTERN.test(token)) return false;
    return sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...trendLinkItem.revoke(hashToken(token), now) }));
  }

  async revokeTrendLinksBefore(therapistId: string, clientId: string | undefined, now: Date): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...trendRevocationItem.revokeBefore(therapistId, clientId, now) }));
  }

  async therapistContext(therapistId: string, clientId: string): Promise<{ revokedBefore?: string | undefined; timeZone?: string | undefined }> {
    const entryKey = therapistItem.key(therapistId);
    const keys = [trendRevocationItem.key(therapistId, undefined), trendRevocationItem.key(therapistId, clientId), entryKey];
    const items = await this.batchGet(keys, { ProjectionExpression: 'pk, sk, revokedBefore, #zone', ExpressionAttributeNames: { '#zone': 'timeZone' } });
    const revokedBefore = items
      .filter((item) => item['sk'] !== entryKey.sk)
      .map((item) => trendRevocationItem.revokedBefore(item))
      .filter((mark) => mark !== undefined)
      .sort()
      .at(-1);
    const timeZone = items.find((item) => item['sk'] === entryKey.sk)?.['timeZone'];
    return { ...(revokedBefore ? { revokedBefore } : {}), ...(typeof timeZone === 'string' ? { timeZone } : {}) };
  }

  async recentHistory(clientId: string, limit: number): Promise<StoredHistoryEntry[]> {
    const result = await this.client.send(new QueryCommand({ TableName: this.tableName, ...clientHistoryItem.queryRecent(clientId, limit) }));
    return (result.Items ?? []).map(clientHistoryItem.fromItem);
  }

  async sessionWords(sessionIds: readonly string[]): Promise<Map<string, SessionWords>> {
    const words = new Map<string, SessionWords>();
    const unique = [...new Set(sessionIds)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      const found = await this.batchGet(unique.slice(start, start + BATCH_GET_LIMIT).map((sessionId) => sessionItem.key(sessionId)), sessionItem.TREND_PROJECTION);
      for (const item of found) {
        const { sessionId, ...rest } = sessionItem.trendWords(item);
        words.set(sessionId, rest);
      }
    }
    return words;
  }

  private async batchGet(keys: readonly KeyInput[], projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> }): Promise<Key[]> {
    const found: Key[] = [];
    let pending: Key[] = keys.map((key) => ({ ...key }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt === BATCH_ATTEMPTS) throw new Error(`${pending.length} items still unread after ${BATCH_ATTEMPTS} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ...projection } } }));
      found.push(...(result.Responses?.[this.tableName] ?? []));
      pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
    }
    return found;
  }
}

/**
 * The trend-link issuer's dependencies on this table (for issueTrendLink in
 * shared/use-cases/trend-link.ts): what the alert function wires, and the weekly digest can too.
 * `linkDays` is ALERT_SETTINGS.trendLinkDays. The caller's IAM declaration needs `put: ['trend-link']`.
 */
export function trendLinksOn(tableName: string, linkDays: number, client: DynamoDBDocumentClient = getDocumentClient()): TrendLinkDeps {
  return { links: new DynamoDbTrendStore(tableName, client), tokens: randomTokens, linkDays };
}
