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

let replacement: InboundDirectories | undefined;

export function inboundDirectories(tableName: string, client: DynamoDBDocumentClient = getDocumentClient()): InboundDirectories {
  if (replacement !== undefined) return replacement;
  return { roster: clientRosterFrom(tableName, client), therapists: new DynamoDbTherapistDirectory(tableName, client) };
}

/**
 * Replaces the roster and the directory in this process (the calendar feed's tests, which run the
 * feeds function in-process as they replace its clock); undefined restores the stores.
 */
export function setInboundDirectories(directories: InboundDirectories | undefined): void {
  replacement = directories;
}
