/**
 * `alliance export <clientId>` and `alliance erase <clientId>`: a client's right of access and
 * right to erasure, against the local stack or a deployed table.
 *
 * Finding a client's items: sessions are keyed by session id and links by a hash, so both
 * commands scan the whole table for the items that carry the client's `clientId` — every item that
 * belongs to a client does (shared/adapters/items/, shared/adapters/dynamodb-client-data-store.ts).
 * There is no index on `clientId` on purpose: it would cost one write unit more on every item
 * written, on every session, while these commands run a few times a year; a scan costs one read
 * unit per 4 KB of table, once per command.
 */
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { HmacAddressHasher } from '../shared/adapters/address-hash.ts';
import { clock } from '../shared/adapters/clock.ts';
import { DynamoDbClientDataStore } from '../shared/adapters/dynamodb-client-data-store.ts';
import { ProductEventPublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { LOCAL_ADDRESS_HASH_KEY, PRIVACY_SETTINGS } from '../shared/config.ts';
import { IdSchema } from '../shared/events/contracts.ts';
import { eraseClientData, exportClientData, type ItemCounts } from '../shared/use-cases/client-data.ts';
import type { AddressHasher } from '../shared/use-cases/ports.ts';
import { parseOptions } from './args.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS, type Connection } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

export const EXPORT_HELP = `Usage: alliance export <clientId> [--out file.json] [where]

Writes everything stored about one client as one JSON document: their profile (opt-out, delivery
problems), their roster entry (address, first name, language, therapist), the detector's running
summary, and every session with its contact details, answer (ratings and comment), evaluation and
alerts. Form links are left out (the table keeps only hashes of their secrets), and so are records
past their retention that DynamoDB has yet to delete.

Options:
  --out FILE           Write to FILE (created readable by you only) instead of stdout
  -h, --help           Show this help

${CONNECTION_HELP}
Examples:
  npx alliance export c-1042 --out c-1042.json
  npx alliance export c-1042 --table AllianceFeedback-Table-ABC123 --region eu-west-1
`;

export const ERASE_HELP = `Usage: alliance erase <clientId> [--yes] [--dry-run] [where]

Deletes everything stored about one client: every session record (contact details, answers),
evaluation, alert, the detector's summary, the profile, the roster entry (a later roster import
skips the client), and every form and acknowledge link, so the links in emails already sent stop
working. Then publishes ClientErased { clientId, erasedAt, itemsDeleted } on the bus: ids and
counts, no personal data.

What stays: a tombstone (the client id and when it was erased, in place of the profile), so that
no late or redelivered event brings anything back: a SessionCompleted for this client id is
skipped (reason "erased") and stores nothing, an answer or expiry is not evaluated. And if the
client had opted out, or their address bounced or complained, each of their addresses stays on
the do-not-contact list as a keyed hash (HMAC-SHA256 under the deployment's addressHashKey), so
their wish keeps being honoured even if the EHR sends them again under a new client id.

Safe to repeat: a second run finds only the tombstone (and anything an event in flight during
the first run left), deletes the rest and publishes again. It asks for confirmation unless --yes
is given. On AWS it needs the deployment's key in ${PRIVACY_SETTINGS.addressHashKey.env}.

Options:
  --yes                Do not ask (needed when stdin is not a terminal)
  --dry-run            Count what would be deleted; delete nothing, publish nothing
  -h, --help           Show this help

${CONNECTION_HELP}
Examples:
  npx alliance erase c-1042
  npx alliance erase c-1042 --yes --table AllianceFeedback-Table-ABC123 --region eu-west-1
`;

const KIND_NAMES: Record<keyof ItemCounts, [string, string]> = {
  session: ['session', 'sessions'],
  evaluation: ['evaluation', 'evaluations'],
  'alert-claim': ['alert', 'alerts'],
  'alert-link': ['acknowledge link', 'acknowledge links'],
  'form-link': ['form link', 'form links'],
  'opt-out-link': ['opt-out link', 'opt-out links'],
  detector: ['detector record', 'detector records'],
  profile: ['profile', 'profiles'],
  'do-not-contact': ['do-not-contact entry', 'do-not-contact entries'],
  'webhook-delivery': ['webhook delivery', 'webhook deliveries'],
  'roster-client': ['roster entry', 'roster entries'],
  'waiting-alert': ['alert waiting for its therapist', 'alerts waiting for their therapist'],
  caseload: ['caseload summary', 'caseload summaries'],
  'client-history': ['trend history row', 'trend history rows'],
  'trend-link': ['trend link', 'trend links'],
  'trend-revocation': ['trend link revocation', 'trend link revocations'],
  // Never a client's: no clientId (listed for completeness of the kinds).
  'response-week': ['therapist response count', 'therapist response counts'],
  'digest-claim': ['digest claim', 'digest claims'],
  therapist: ['therapist', 'therapists'],
  'therapist-notice': ['therapist notice', 'therapist notices'],
  // Never a client's: a calendar feed's poll state carries no clientId, so export and erase never see it.
  'feed-state': ['calendar feed state', 'calendar feed states'],
  'fhir-state': ['FHIR poll state', 'FHIR poll states'],
  other: ['other item', 'other items'],
};

/** "3 sessions, 2 evaluations, 1 profile" (kinds with none left out). */
export function describeCounts(counts: ItemCounts): string {
  const parts = (Object.keys(KIND_NAMES) as (keyof ItemCounts)[])
    .filter((kind) => counts[kind] > 0)
    .map((kind) => `${counts[kind]} ${KIND_NAMES[kind][counts[kind] === 1 ? 0 : 1]}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

export function clientIdOf(positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('a client id is required');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const clientId = positionals[0]!;
  if (!IdSchema.safeParse(clientId).success) throw new UsageError(`"${clientId}" is not a client id (1–128 characters of A-Z a-z 0-9 . _ : -)`);
  return clientId;
}

/**
 * The keyed hash of the do-not-contact list, under the deployment's key: on AWS the administrator
 * gives it (ADDRESS_HASH_KEY, the addressHashKey the stack was deployed with); locally the local
 * stack's default, or the same variable the local stack was started with.
 */
export function addressHasherFor(connection: Connection, env: NodeJS.ProcessEnv = process.env): AddressHasher {
  const variable = PRIVACY_SETTINGS.addressHashKey.env;
  const key = env[variable] || undefined;
  if (connection.target === 'aws' && (key === undefined || key === LOCAL_ADDRESS_HASH_KEY)) {
    throw new UsageError(`on AWS, set ${variable} to the addressHashKey the stack was deployed with (the do-not-contact list is keyed with it)`);
  }
  try {
    return new HmacAddressHasher(key ?? LOCAL_ADDRESS_HASH_KEY);
  } catch (error) {
    throw new UsageError(`${variable}: ${(error as Error).message}`);
  }
}

/** Turns an SDK failure into one line that says which table could not be reached. */
export async function reaching<T>(connection: Connection, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') throw new InputError(`${connection.describe()} does not exist (check --table and --region)`);
    const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
    if (code === 'ECONNREFUSED') throw new InputError(`cannot reach the local stack (${connection.describe()}, bus ${connection.localBusEndpoint}): is it running (npm start)?`);
    throw error;
  }
}

/** Runs `alliance export`. */
export async function exportCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(args, { ...CONNECTION_OPTIONS, out: { type: 'string' } }, true);
  const clientId = clientIdOf(positionals);
  const connection = connect(values);
  try {
    const store = new DynamoDbClientDataStore(connection.tableName, connection.documentClient());
    const { document } = await reaching(connection, () => exportClientData(clientId, { store, clock }));
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (!values.out) {
      process.stdout.write(text);
      return;
    }
    try {
      // The file holds health information: readable by its owner only.
      await writeFile(values.out, text, { mode: 0o600 });
    } catch (error) {
      throw new InputError(`cannot write ${values.out}: ${(error as Error).message}`);
    }
    process.stderr.write(`alliance export: wrote ${document.sessions.length} sessions of client ${clientId} to ${values.out}\n`);
  } finally {
    connection.close();
  }
}

/** Asks on the terminal; the client id must be typed back, so a stray Enter erases nothing. */
async function askToConfirm(clientId: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`This cannot be undone. Type the client id (${clientId}) to erase: `);
    return answer.trim() === clientId;
  } finally {
    prompt.close();
  }
}

/** Runs `alliance erase`. */
export async function eraseCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(args, { ...CONNECTION_OPTIONS, yes: { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, true);
  const clientId = clientIdOf(positionals);
  const dryRun = values['dry-run'] === true;
  if (!dryRun && !values.yes && !process.stdin.isTTY) throw new UsageError('stdin is not a terminal: pass --yes to erase without being asked');
  const connection = connect(values);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const addresses = addressHasherFor(connection);
    const store = new DynamoDbClientDataStore(connection.tableName, connection.documentClient());
    const publisher = new ProductEventPublisher(connection.busName, connection.eventBridge());
    const outcome = await reaching(connection, () =>
      eraseClientData(clientId, { store, publisher, clock, addresses }, async (counts, total) => {
        out(`Client ${clientId} in ${connection.describe()}: ${total} item${total === 1 ? '' : 's'} (${describeCounts(counts)}).`);
        if (dryRun) return false;
        return values.yes === true || (await askToConfirm(clientId));
      }),
    );
    if (!outcome.erased) {
      if (!dryRun) throw new InputError('not confirmed: nothing deleted');
      out('Dry run: nothing deleted, nothing published.');
      return;
    }
    out(`Deleted ${outcome.itemsDeleted} item${outcome.itemsDeleted === 1 ? '' : 's'}; kept the tombstone of ${clientId}; published ClientErased on bus ${connection.busName}.`);
    if (outcome.doNotContact > 0) out(`The client had opted out or could not be emailed: ${outcome.doNotContact} address${outcome.doNotContact === 1 ? '' : 'es'} kept on the do-not-contact list (as keyed hashes).`);
    out(`Sessions the EHR still sends for ${clientId} are skipped and nothing is stored; stop them at the source all the same.`);
  } finally {
    connection.close();
  }
}
