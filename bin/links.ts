/**
 * `alliance links revoke`: revokes links to clients' trend pages (shared/use-cases/trend-link.ts)
 * before they expire. One link by its URL or token (marked revoked on its own item), or every link
 * of a therapist, optionally only for one client (one "revoked before now" mark the page checks on
 * every view: no scan for the links). Runs with the administrator's own credentials, against the
 * local stack by default like the other commands.
 */
import { clock } from '../shared/adapters/clock.ts';
import { DynamoDbTrendStore } from '../shared/adapters/dynamodb-trend-store.ts';
import { IdSchema } from '../shared/events/contracts.ts';
import { trendTokenOf } from '../shared/use-cases/trend-link.ts';
import { parseOptions } from './args.ts';
import { reaching } from './client-data.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

export const LINKS_HELP = `Usage: alliance links revoke <link-or-token> [where]
       alliance links revoke --therapist <therapistId> [--client <clientId>] [where]

Links to a client's trend page (in alert emails and the weekly digest) open it for a few days
(the trendLinkDays setting, default 7). Revoke them sooner when an email went to the wrong place
or a therapist leaves: the page then answers "revoked" (410).

  revoke <link-or-token>
                  Revokes that one link (paste the whole https://…/t/… link, or its token).
  revoke --therapist <therapistId> [--client <clientId>]
                  Revokes every link issued so far to that therapist (for that client only,
                  with --client). Links issued afterwards work again.

Options:
  --therapist ID       The therapist whose links to revoke
  --client ID          Only their links to this client's page
  -h, --help           Show this help

${CONNECTION_HELP}
Examples:
  npx alliance links revoke https://forms.practice.example/t/4kX…
  npx alliance links revoke --therapist t-7
  npx alliance links revoke --therapist t-7 --client c-1042 --table AllianceFeedback-Table-ABC123 --region eu-west-1
`;

const OPTIONS = { ...CONNECTION_OPTIONS, therapist: { type: 'string' }, client: { type: 'string' } } as const;

/** Runs `alliance links`. */
export async function linksCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'revoke') throw new UsageError(action === undefined ? 'say what to do: revoke' : `unknown action "${action}"`);
  const { values, positionals } = parseOptions(rest, OPTIONS, true);
  const { therapist, client } = values;
  if (therapist === undefined && client !== undefined) throw new UsageError('--client needs --therapist');
  if (therapist !== undefined && positionals.length > 0) throw new UsageError('give a link, or --therapist, not both');
  if (therapist === undefined && positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'a link (or its token), or --therapist, is required' : `unexpected argument "${positionals[1]}"`);
  for (const [name, id] of [['--therapist', therapist], ['--client', client]] as const) {
    if (id !== undefined && !IdSchema.safeParse(id).success) throw new UsageError(`${name} must be 1–128 characters of A-Z a-z 0-9 . _ : -`);
  }
  const connection = connect(values);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const store = new DynamoDbTrendStore(connection.tableName, connection.documentClient());
    const now = clock.now();
    if (therapist !== undefined) {
      await reaching(connection, () => store.revokeTrendLinksBefore(therapist, client, now));
      out(`Revoked every trend link issued to therapist ${therapist}${client === undefined ? '' : ` for client ${client}`} up to ${now.toISOString()}.`);
      return;
    }
    const token = trendTokenOf(positionals[0]!);
    // The token is not repeated: terminals keep scrollback.
    if (!(await reaching(connection, () => store.revokeTrendLink(token, now)))) throw new InputError(`no trend link with that token in ${connection.describe()}`);
    out('Revoked that trend link.');
  } finally {
    connection.close();
  }
}
