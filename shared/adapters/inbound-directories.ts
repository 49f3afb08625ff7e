/**
 * THE seam where the appointment import (CLI and S3 drop function) gets the client roster and the
 * therapist directory. The stores themselves come from the roster and directory work (branches
 * `roster` and `directory`); until they are merged, this answers "not on the roster" for every
 * client and "unknown" for every therapist, so an import counts every completed appointment as
 * skipped (client-not-on-roster) and sends nothing — never a guess.
 *
 * AT MERGE: return the DynamoDB roster and directory stores here (one line each); nothing else in
 * the import changes. Tests inject their own ClientRoster/TherapistDirectory into the use case.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientRoster, TherapistDirectory } from '../use-cases/ports.ts';

export interface InboundDirectories {
  roster: ClientRoster;
  therapists: TherapistDirectory;
}

/** The roster and the directory in `tableName` (the client is the caller's: the CLI's connection, or the function's). */
export function inboundDirectories(_tableName: string, _client?: DynamoDBDocumentClient): InboundDirectories {
  return {
    roster: { find: async () => undefined },
    therapists: { find: async () => undefined },
  };
}
