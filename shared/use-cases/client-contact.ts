/**
 * Use cases: the administrator lifts what stops the product from emailing a client — their
 * opt-out or delivery block (`alliance clients unblock <clientId>`), or an address's entry on the
 * do-not-contact list kept after an erasure (`alliance clients allow <email>`). Each lift is
 * announced as ClientContactRestored: the audit record that someone chose to email a person who
 * had asked not to be (or could not be) emailed. Ids only, never the address.
 */
import { ClientContactRestored } from '../events/contracts.ts';
import type { AddressHasher, ClientContactStore, Clock, EventPublisher } from './ports.ts';

export interface ClientContactDeps {
  store: ClientContactStore;
  publisher: EventPublisher;
  clock: Clock;
}

export type UnblockOutcome =
  | { outcome: 'lifted'; lifted: ('opted-out' | 'undeliverable')[] }
  | { outcome: 'nothing-to-lift' | 'unknown-client' | 'erased' };

/** Removes a client's opt-out and delivery block; an erased client stays erased (their address may be allowed instead). */
export async function unblockClient(clientId: string, deps: ClientContactDeps): Promise<UnblockOutcome> {
  const result = await deps.store.liftClientBlock(clientId);
  if (result.found !== 'profile') return { outcome: result.found === 'erased' ? 'erased' : 'unknown-client' };
  if (result.lifted.length === 0) return { outcome: 'nothing-to-lift' };
  await deps.publisher.publish(ClientContactRestored, { scope: 'client', clientId, lifted: result.lifted, restoredAt: deps.clock.now().toISOString() });
  return { outcome: 'lifted', lifted: result.lifted };
}

/** Takes an address off the do-not-contact list, so a session of whoever has it now may email it. */
export async function allowAddress(address: string, deps: ClientContactDeps & { addresses: AddressHasher }): Promise<'allowed' | 'not-listed'> {
  if (!(await deps.store.removeDoNotContact(await deps.addresses.hash(address)))) return 'not-listed';
  await deps.publisher.publish(ClientContactRestored, { scope: 'address', lifted: ['do-not-contact'], restoredAt: deps.clock.now().toISOString() });
  return 'allowed';
}
