/**
 * The single table's shape, shared by the CDK stack, the local stack and the DynamoDB adapters.
 */

/** Default physical name of the table (the CDK stack lets CloudFormation name it). */
export const DEFAULT_TABLE_NAME = 'alliance-feedback';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

// No secondary index: every item of a client carries its `clientId`, and `npx alliance export|erase`
// find them with a scan (shared/adapters/dynamodb-client-data-store.ts); an index would cost a write
// unit on every item written, for two commands run a few times a year.
// Items, their keys and their attributes: one module per kind in ./items/ (the client: ./dynamodb-table.ts).

/** Epoch-seconds attribute DynamoDB's TTL deletes by (up to ~48 h late: code still checks expiry). */
export const TTL_ATTRIBUTE = 'ttl';

/** Converts a date to the epoch seconds DynamoDB TTL expects. */
export function toTtl(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** A retention period in days, or `keep` (RETENTION_SETTINGS in shared/config.ts). */
export type RetentionDays = number | 'keep';

/**
 * The TTL attribute of a record that expires `retentionDays` after its session ended (or, for an
 * alert's records, after the alert was sent: pass that time), to spread
 * into an item that is written anyway (so retention costs no extra write); none under `keep`.
 */
export function retentionTtl(endedAt: string, retentionDays: RetentionDays): Record<string, number> {
  if (retentionDays === 'keep') return {};
  return { [TTL_ATTRIBUTE]: toTtl(new Date(new Date(endedAt).getTime() + retentionDays * 86_400_000)) };
}
