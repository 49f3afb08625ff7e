/**
 * The table's DynamoDB client: one per container, shared by every store (and by the local fault
 * injector and the bench, which wrap it). Kept apart from table.ts, whose constants the CDK app
 * imports without loading the AWS SDK.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let sharedDocumentClient: DynamoDBDocumentClient | undefined;

/** The container-wide document client (endpoint from `AWS_ENDPOINT_URL_DYNAMODB` when set). */
export function getDocumentClient(): DynamoDBDocumentClient {
  sharedDocumentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return sharedDocumentClient;
}
