/**
 * The ONE place the inbound adapters of the calendar feed get the client roster and the therapist
 * directory (the ports ClientRoster and TherapistDirectory, shared/use-cases/ports.ts).
 *
 * MERGE POINT: the roster (branch `roster`) and the directory (branch `directory`) are built in
 * parallel; until they are merged this returns a roster and a directory that know nobody, so every
 * instance is skipped as `client-not-on-roster`. At merge, repoint `inboundDirectory` at their
 * DynamoDB stores, and add their item kinds (get) to FUNCTION_ACCESS.feeds in
 * infra/function-access.ts.
 *
 * The local stack's tests replace it with fakes (`setInboundDirectory`), as they replace the clock.
 */
import type { ClientRoster, TherapistDirectory } from '../use-cases/ports.ts';

export interface InboundDirectory {
  roster: ClientRoster;
  therapists: TherapistDirectory;
}

let replacement: InboundDirectory | undefined;

/** The roster and the directory on the table `tableName`. */
export function inboundDirectory(_tableName: string): InboundDirectory {
  if (replacement !== undefined) return replacement;
  return { roster: { find: async () => undefined }, therapists: { find: async () => undefined } };
}

/** Replaces the roster and the directory (local stack and tests only); undefined restores them. */
export function setInboundDirectory(directory: InboundDirectory | undefined): void {
  replacement = directory;
}
