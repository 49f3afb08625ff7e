/**
 * What every inbound path (signed webhook, appointment import, calendar feed) completes a
 * SessionCompleted from: the client roster and the therapist directory, both in the table. A
 * function that uses it declares `get: ['roster-client', 'therapist']` in infra/function-access.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompleteSessionDependencies } from '../use-cases/complete-session.ts';
import { clientRosterFrom } from './dynamodb-client-roster.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import { DynamoDbTherapistDirectory } from './dynamodb-therapist-directory.ts';

/** The roster and the directory, as an inbound path is given them (tests pass fakes). */
export type InboundDirectories = CompleteSessionDependencies;

export function inboundDirectories(tableName: string, client: DynamoDBDocumentClient = getDocumentClient()): InboundDirectories {
  return { roster: clientRosterFrom(tableName, client), therapists: new DynamoDbTherapistDirectory(tableName, client) };
}
