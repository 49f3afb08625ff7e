/**
 * `alliance clients import|list|remove`: the client roster (bin/client-roster.ts).
 *
 * `alliance clients unblock <clientId>` and `alliance clients allow <email>`: the administrator
 * lifts what stops the product from emailing a client (shared/use-cases/client-contact.ts), with
 * an audit event (ClientContactRestored) on the product's bus. Runs with the administrator's own
 * credentials, as `alliance erase` does; the event is published as the product's own.
 */
import * as z from 'zod/mini';
import { clock } from '../shared/adapters/clock.ts';
import { DynamoDbClientDataStore } from '../shared/adapters/dynamodb-client-data-store.ts';
import { ProductEventPublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { PRIVACY_SETTINGS } from '../shared/config.ts';
import { allowAddress, unblockClient } from '../shared/use-cases/client-contact.ts';
import { parseOptions } from './args.ts';
import { addressHasherFor, clientIdOf, reaching } from './client-data.ts';
import { rosterCommand, ROSTER_HELP } from './client-roster.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

export const CLIENTS_HELP = `Usage: alliance clients import <clients.csv> [--dry-run] [--deactivate-missing] [where]
       alliance clients list [--json] [where]
       alliance clients remove <clientId> [where]
       alliance clients unblock <clientId> [where]
       alliance clients allow <email> [where]

The client roster: who the practice's clients are, for the inbound paths that know only a client
id (appointment CSV, calendar feed, a webhook without client details).

${ROSTER_HELP}
Lifts what stops the product from emailing a client. Only when the client asks to receive the
emails again (or, for a bounce, once their address is fixed): an opt-out is the client's wish.
Each lift publishes ClientContactRestored { scope, clientId?, lifted, restoredAt } on the bus:
the audit record (ids only, never the address; CloudTrail names who called).

  unblock <clientId>   Removes the client's opt-out (optedOutAt) and delivery block
                       (undeliverableAt, after a bounce or complaint) from their profile.
                       An erased client stays erased: allow their address instead.
  allow <email>        Takes the address off the do-not-contact list that erase keeps for
                       clients who had opted out or bounced (as a keyed hash: the address is
                       hashed here and compared). On AWS it needs the deployment's key in
                       ${PRIVACY_SETTINGS.addressHashKey.env}.

After a bounce, if the client keeps the same address, also take it off SES's suppression list:
  aws sesv2 delete-suppressed-destination --email-address <email>

Options:
  -h, --help           Show this help

${CONNECTION_HELP}
Examples:
  npx alliance clients import clients.csv --dry-run
  npx alliance clients import clients.csv
  npx alliance clients list --json > roster.json
  npx alliance clients unblock c-1042
  npx alliance clients allow ana@example.com --table AllianceFeedback-Table-ABC123 --region eu-west-1
`;

const AddressSchema = z.email();

/** Runs `alliance clients`. */
export async function clientsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action === 'import' || action === 'list' || action === 'remove') return rosterCommand(action, rest);
  if (action !== 'unblock' && action !== 'allow') throw new UsageError(action === undefined ? 'say what to do: import, list, remove, unblock or allow' : `unknown action "${action}"`);
  const { values, positionals } = parseOptions(rest, CONNECTION_OPTIONS, true);
  const connection = connect(values);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const store = new DynamoDbClientDataStore(connection.tableName, connection.documentClient());
    const publisher = new ProductEventPublisher(connection.busName, connection.eventBridge());
    if (action === 'unblock') {
      const clientId = clientIdOf(positionals);
      const result = await reaching(connection, () => unblockClient(clientId, { store, publisher, clock }));
      if (result.outcome === 'unknown-client') throw new InputError(`client ${clientId} has no profile in ${connection.describe()}: nothing to lift`);
      if (result.outcome === 'erased') throw new InputError(`client ${clientId} was erased: nothing of theirs is left to lift; to email their address again, use: alliance clients allow <email>`);
      if (result.outcome !== 'lifted') {
        out(`Client ${clientId} had neither opted out nor been blocked: nothing changed.`);
        return;
      }
      out(`Lifted ${result.lifted.join(' and ')} for client ${clientId}; published ClientContactRestored on bus ${connection.busName}.`);
      return;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'an email address is required' : `unexpected argument "${positionals[1]}"`);
    const address = positionals[0]!;
    if (!AddressSchema.safeParse(address.trim()).success) throw new UsageError('that is not an email address');
    const addresses = addressHasherFor(connection);
    const outcome = await reaching(connection, () => allowAddress(address, { store, publisher, clock, addresses }));
    // The address is not repeated: terminals keep scrollback, and logs of this output may be kept.
    if (outcome === 'not-listed') out('That address is not on the do-not-contact list: nothing changed.');
    else out(`Took the address off the do-not-contact list; published ClientContactRestored on bus ${connection.busName}.`);
  } finally {
    connection.close();
  }
}
