/**
 * The ONE place the hooks function gets its ClientRoster and TherapistDirectory. Until the roster
 * (branch `roster`) and the therapist directory (branch `directory`) are merged, both know nobody:
 * a webhook must then carry the client's and the therapist's email, and one that leaves them out is
 * skipped with `client-not-on-roster` / `therapist-unknown` (422). At merge, repoint this factory to
 * the DynamoDB stores and add their item kinds to FUNCTION_ACCESS.hooks.table.get.
 */
import type { CompleteSessionDependencies } from '../../shared/use-cases/complete-session.ts';

export function inboundDirectories(_tableName: string): CompleteSessionDependencies {
  return {
    roster: { find: async () => undefined },
    therapists: { find: async () => undefined },
  };
}
