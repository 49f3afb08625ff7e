/**
 * The one write to the do-not-contact list, shared by erase (an opted-out or blocked client's
 * address) and the deliverability function (an erased client's address that bounced afterwards).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DoNotContactEntry } from '../use-cases/ports.ts';
import { sendUnlessConditionFails } from './dynamodb-table.ts';
import * as doNotContactItem from './items/do-not-contact.ts';

/** Lists the address hash; an entry already there (an earlier run, another client with that address) is kept as it was. */
export async function addToDoNotContactList(client: DynamoDBDocumentClient, tableName: string, addressHash: string, entry: DoNotContactEntry): Promise<void> {
  await sendUnlessConditionFails(client, new PutCommand({ TableName: tableName, ...doNotContactItem.put(addressHash, entry) }));
}
