/**
 * The table's DynamoDB client: one per container, shared by every store (and by the local fault
 * injector and the bench, which wrap it). Kept apart from table.ts, whose constants the CDK app
 * imports without loading the AWS SDK.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type DeleteCommand, type PutCommand, type UpdateCommand } from '@aws-sdk/lib-dynamodb';

let sharedDocumentClient: DynamoDBDocumentClient | undefined;

/** The container-wide document client (endpoint from `AWS_ENDPOINT_URL_DYNAMODB` when set). */
export function getDocumentClient(): DynamoDBDocumentClient {
  sharedDocumentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return sharedDocumentClient;
}

/** The writes a condition can refuse. */
export type ConditionalWrite = PutCommand | UpdateCommand | DeleteCommand;

/**
 * Sends a conditional write and tells whether it happened: false when its condition failed (the
 * item is not as the write expects: already there, gone, erased, another's claim), true when it
 * was written; any other error is thrown. For writes whose failed condition needs nothing more than
 * that answer: a store that reads the old item from the error (`ReturnValuesOnConditionCheckFailure`)
 * or the new one from the result catches the exception itself. A failed condition is known by its
 * class or, as for a client built from another copy of the SDK, by its name.
 */
export async function sendUnlessConditionFails(client: DynamoDBDocumentClient, command: ConditionalWrite): Promise<boolean> {
  // `send` is typed per command (one overload each): any of the three is sent the same way.
  const send = client.send.bind(client) as (write: ConditionalWrite) => Promise<unknown>;
  try {
    await send(command);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
