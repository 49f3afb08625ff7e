/**
 * A client with `n` weekly sessions as the product stores them for the trend page: history rows
 * (items/client-history.ts, written as the evaluation and the alert write them) and the sessions'
 * words (the comment, the talk tick, the first name). Mostly 35–39 of 40 within a usual range, one
 * rupture (acknowledged), one item drop (not acknowledged), an unanswered request every ninth, one
 * talk tick, and a comment on every fourth session (one with markup in it). Shared by the trend
 * page's unit tests, its browser test and its benchmark.
 */
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTrendStore } from '../../shared/adapters/dynamodb-trend-store.ts';
import { randomTokens } from '../../shared/adapters/form-tokens.ts';
import * as clientHistoryItem from '../../shared/adapters/items/client-history.ts';
import { SESSION_ITEM, key as sessionKey } from '../../shared/adapters/items/session.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import type { AlertKind } from '../../shared/events/contracts.ts';
import type { HistoryEntry, SessionWords, StoredHistoryEntry } from '../../shared/use-cases/ports.ts';
import { issueTrendLink, trendLinkPath } from '../../shared/use-cases/trend-link.ts';

const DAY = 86_400_000;

/** The fixture client's ids. */
export const TREND_CLIENT = { clientId: 'c-1042', therapistId: 't-7', firstName: 'Ana' } as const;

/** The comment with markup in it (on the rupture session): a page must show it as text. */
export const MARKUP_COMMENT = 'I felt rushed <b>today</b> & "unheard".\nNext time: more time for goals?';

export function trendFixture(now: Date, n = 26): { rows: StoredHistoryEntry[]; words: Map<string, SessionWords> } {
  const rows: StoredHistoryEntry[] = [];
  const words = new Map<string, SessionWords>();
  for (let index = 0; index < n; index += 1) {
    const endedAt = new Date(now.getTime() - DAY - (n - 1 - index) * 7 * DAY).toISOString();
    const sessionId = `${TREND_CLIENT.clientId}-s${index + 1}`;
    const base = { clientId: TREND_CLIENT.clientId, therapistId: TREND_CLIENT.therapistId, sessionId, endedAt, instrumentId: DEFAULT_INSTRUMENT.id };
    if (index % 9 === 8) {
      rows.push({ ...base, kind: 'expired', alerts: [], alertsSent: {}, acknowledged: {} });
      continue;
    }
    const rupture = index === n - 6;
    const drop = index === n - 2;
    const items = rupture ? { relationship: 6, goals: 5, approach: 7, overall: 6 } : drop ? { relationship: 9, goals: 3, approach: 9, overall: 9 } : { relationship: 9, goals: 9 + (index % 2), approach: 9, overall: 9 + ((index + 1) % 2) };
    const total = Object.values(items).reduce((sum, value) => sum + value, 0);
    const alerts: AlertKind[] = rupture ? ['rupture'] : drop ? ['item-drop'] : [];
    const talk = index === n - 3;
    rows.push({
      ...base,
      kind: 'answered',
      total,
      max: 40,
      items,
      ...(index >= 3 ? { band: { low: 34.6, high: 39.4 } } : {}),
      state: alerts.length > 0 ? 'alert' : index >= 3 ? 'normal' : 'insufficient-baseline',
      talk,
      alerts,
      alertsSent: Object.fromEntries(alerts.map((kind) => [kind, new Date(Date.parse(endedAt) + 3_600_000).toISOString()])),
      acknowledged: rupture ? { rupture: new Date(Date.parse(endedAt) + DAY).toISOString() } : {},
    });
    words.set(sessionId, {
      talk,
      firstName: TREND_CLIENT.firstName,
      ...(index % 4 === 3 || rupture ? { comment: rupture ? MARKUP_COMMENT : `Session ${index + 1} was fine; we talked about work and sleep.` } : {}),
    });
  }
  return { rows, words };
}

/** Writes the fixture to the table as the product does and issues a trend link for its therapist; returns the link's path (`/t/…`). */
export async function seedTrendClient(table: DynamoDBDocumentClient, tableName: string, now: Date, n = 26): Promise<string> {
  const { rows, words } = trendFixture(now, n);
  for (const row of rows) {
    const { alertsSent, acknowledged, ...entry } = row;
    await table.send(new UpdateCommand({ TableName: tableName, ...clientHistoryItem.record(entry as HistoryEntry, 'keep') }));
    for (const [kind, at] of Object.entries(alertsSent)) await table.send(new UpdateCommand({ TableName: tableName, ...clientHistoryItem.markAlertSent(row, kind as AlertKind, at) }));
    for (const [kind, at] of Object.entries(acknowledged)) await table.send(new UpdateCommand({ TableName: tableName, ...clientHistoryItem.markAcknowledged(row, kind as AlertKind, at) }));
    const said = words.get(row.sessionId);
    if (row.kind !== 'answered' || !said) continue;
    await table.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...sessionKey(row.sessionId),
          type: SESSION_ITEM.type,
          sessionId: row.sessionId,
          clientId: row.clientId,
          therapistId: row.therapistId,
          endedAt: row.endedAt,
          client: { email: 'ana@example.com', firstName: TREND_CLIENT.firstName, locale: 'en' },
          therapist: { email: 'lee@practice.example' },
          status: 'requested',
          answeredAt: new Date(Date.parse(row.endedAt) + 3_600_000).toISOString(),
          answer: { instrumentId: DEFAULT_INSTRUMENT.id, items: row.items, talk: said.talk, ...(said.comment ? { comment: said.comment } : {}) },
        },
      }),
    );
  }
  const token = await issueTrendLink({ therapistId: TREND_CLIENT.therapistId, clientId: TREND_CLIENT.clientId, now }, { links: new DynamoDbTrendStore(tableName, table), tokens: randomTokens, linkDays: 7 });
  return trendLinkPath(token);
}
