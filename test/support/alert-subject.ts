/** The subject the local stack's alert function gives a client's alert (default label: the pseudonym under the local key). */
import { clientPseudonym } from '../../shared/adapters/client-pseudonym.ts';
import { LOCAL_ADDRESS_HASH_KEY } from '../../shared/config.ts';
import { alertSubject } from '../../shared/domain/templates/alert-email.ts';
import type { AlertKind } from '../../shared/events/contracts.ts';

export function localAlertSubject(kind: AlertKind, clientId: string): string {
  return alertSubject(kind, `Client ${clientPseudonym(LOCAL_ADDRESS_HASH_KEY, clientId)}`);
}
