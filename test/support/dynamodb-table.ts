/**
 * A fresh product table on DynamoDB Local for a store test: the same start-up and table shape as the
 * local stack (infra/local/dynamodb-local.ts), optionally reporting every call's consumed capacity
 * so a test can hold a store to its unit budget.
 */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTable, localDynamoDbClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { findFreePort } from '../../infra/local/ports.ts';

export interface TestTable {
  tableName: string;
  documentClient: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/** One call's capacity, named by its low-level command (e.g. `GetItemCommand`). */
export interface CapacityRecord {
  command: string;
  consumed: ConsumedCapacity;
}

export async function startTestTable(tableName: string, onCapacity?: (record: CapacityRecord) => void): Promise<TestTable> {
  const dynamo = await startDynamoDbLocal({ port: await findFreePort(), inMemory: true });
  await createTable(dynamo.endpoint, tableName);
  const client = localDynamoDbClient(dynamo.endpoint);
  if (onCapacity) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity;
        if (consumed) onCapacity({ command: context.commandName ?? '', consumed });
        return result;
      },
      { step: 'initialize', name: 'recordConsumedCapacity' },
    );
  }
  const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    tableName,
    documentClient,
    stop: async () => {
      documentClient.destroy();
      await dynamo.stop();
    },
  };
}
