/**
 * What every stored item module exports about its kind: how its keys look. The IAM declaration
 * names items by `kind` and turns `partitionKeyPrefix` into `dynamodb:LeadingKeys` conditions;
 * export and erase tell a client's items apart by their keys.
 */
import type { DeleteCommandInput, GetCommandInput, PutCommandInput, QueryCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ItemKind } from '../../use-cases/ports.ts';

export interface ItemKindKeys {
  kind: Exclude<ItemKind, 'other'>;
  /** The `type` attribute of every item of this kind (what a person scanning the table reads first). */
  type: string;
  /** Every item of this kind has a partition key that starts with this. */
  partitionKeyPrefix: string;
  /** Its sort key: exactly `sortKey`, or starting with `sortKeyPrefix`. */
  sortKey: string;
  sortKeyPrefix?: true;
}

export interface ItemKey {
  pk: string;
  sk: string;
}

/** Whether a key is one of this kind's. */
export function isKeyOf(kind: ItemKindKeys, key: ItemKey): boolean {
  return key.pk.startsWith(kind.partitionKeyPrefix) && (kind.sortKeyPrefix ? key.sk.startsWith(kind.sortKey) : key.sk === kind.sortKey);
}

/** Command inputs without the table's name: item modules say what to send, stores say where. */
export type GetRequest = Omit<GetCommandInput, 'TableName'>;
export type PutRequest = Omit<PutCommandInput, 'TableName'>;
export type UpdateRequest = Omit<UpdateCommandInput, 'TableName'>;
export type DeleteRequest = Omit<DeleteCommandInput, 'TableName'>;
export type QueryRequest = Omit<QueryCommandInput, 'TableName'>;
