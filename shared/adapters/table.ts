/**
 * The single table's shape, shared by the CDK stack, the local stack and the DynamoDB adapters.
 */

/** Default physical name of the table (the CDK stack lets CloudFormation name it). */
export const DEFAULT_TABLE_NAME = 'alliance-feedback';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

// No secondary index: a `clientId` index cost a write unit on every session, form-link and
// alert-link item; `npx alliance export|erase` scan instead (shared/adapters/dynamodb-client-data-store.ts).

/** Epoch-seconds attribute DynamoDB's TTL deletes by (up to ~48 h late: code still checks expiry). */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * Key builders: one place that knows how each entity is addressed. Under a `SESSION#` key the alert
 * reads the evaluation and the session in one Query (sk BETWEEN 'EVALUATION' AND 'SESSION'), so no
 * other item may get a sort key that sorts between those two.
 */
export const keys = {
  session: (sessionId: string) => ({ pk: `SESSION#${sessionId}`, sk: 'SESSION' }),
  client: (clientId: string) => ({ pk: `CLIENT#${clientId}`, sk: 'PROFILE' }),
  formToken: (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
  /** The acknowledge link of one alert email (only the token's hash is stored). */
  alertLink: (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'ALERT' }),
  /** A session's evaluation: its own small item, so writing it never rewrites the answer. */
  evaluation: (sessionId: string) => ({ pk: `SESSION#${sessionId}`, sk: 'EVALUATION' }),
  /** The once-only guard of one alert kind for one session. */
  alert: (sessionId: string, kind: string) => ({ pk: `SESSION#${sessionId}`, sk: `ALERT#${kind}` }),
  /** The detector's per-client record for one instrument. */
  detector: (clientId: string, instrumentId: string) => ({ pk: `CLIENT#${clientId}`, sk: `DETECTOR#${instrumentId}` }),
};

/** Converts a date to the epoch seconds DynamoDB TTL expects. */
export function toTtl(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** A retention period in days, or `keep` (RETENTION_SETTINGS in shared/config.ts). */
export type RetentionDays = number | 'keep';

/**
 * The TTL attribute of a record that expires `retentionDays` after its session ended, to spread
 * into an item that is written anyway (so retention costs no extra write); none under `keep`.
 */
export function retentionTtl(endedAt: string, retentionDays: RetentionDays): Record<string, number> {
  if (retentionDays === 'keep') return {};
  return { [TTL_ATTRIBUTE]: toTtl(new Date(new Date(endedAt).getTime() + retentionDays * 86_400_000)) };
}
