/**
 * `alliance digest send [--therapist ID]`: sends therapists their weekly digest now (for trying it
 * and for tests), whatever the day and hour: it announces one DigestTimeReached per therapist — the one
 * named, or every therapist in the directory with the digest on — which the digest function
 * handles as it handles the weekly ones (only a registered therapist with active clients gets one,
 * at the directory's address). Each run has its own digestId (`manual-<time>`), so it sends again
 * even in a week whose digest went out; a redelivered event of the run sends nothing twice.
 */
import { clock } from '../shared/adapters/clock.ts';
import { DynamoDbTherapistDirectory } from '../shared/adapters/dynamodb-therapist-directory.ts';
import { ProductEventPublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { DigestTimeReached, IdSchema } from '../shared/events/contracts.ts';
import { parseOptions } from './args.ts';
import { reaching } from './client-data.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { UsageError } from './errors.ts';

export const DIGEST_HELP = `Usage: alliance digest send [--therapist ID] [where]

Sends the weekly digest now, whatever the day and hour: to the therapist named, or to every
therapist in the directory whose digest is on. Only a registered therapist with active clients
gets one (at the directory's address); the digest function decides, as for the weekly ones.

Options:
  --therapist ID  Only this therapist
  -h, --help      Show this help

${CONNECTION_HELP}
Examples:
  npx alliance digest send --therapist t-7
  npx alliance digest send --table AllianceFeedback-Table-ABC123 --region eu-west-1
`;

const OPTIONS = { ...CONNECTION_OPTIONS, therapist: { type: 'string' } } as const;

/** The once-only key of one `digest send` run (the event's digestId). */
export function manualDigestId(now: Date): string {
  return `manual-${now.toISOString().replace(/[^0-9TZ]/g, '')}`;
}

export async function digestCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'send') throw new UsageError(action === undefined ? 'say what to do: send' : `unknown action "${action}"`);
  const { values, positionals } = parseOptions(rest, OPTIONS, true);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const only = values.therapist;
  if (only !== undefined && !IdSchema.safeParse(only).success) throw new UsageError('--therapist must be 1–128 characters of A-Z a-z 0-9 . _ : -');
  const connection = connect(values);
  try {
    const publisher = new ProductEventPublisher(connection.busName, connection.eventBridge());
    const therapistIds =
      only !== undefined
        ? [only]
        : (await reaching(connection, () => new DynamoDbTherapistDirectory(connection.tableName, connection.documentClient()).list())).filter((entry) => entry.digest !== 'off').map((entry) => entry.therapistId);
    const digestId = manualDigestId(clock.now());
    for (const therapistId of therapistIds) await reaching(connection, () => publisher.publish(DigestTimeReached, { therapistId, digestId }));
    process.stdout.write(
      therapistIds.length === 0
        ? `No therapist in the directory of ${connection.describe()} has the digest on: nothing sent.\n`
        : `Published DigestTimeReached (${digestId}) for ${therapistIds.length} therapist${therapistIds.length === 1 ? '' : 's'} on bus ${connection.busName}: each registered therapist with active clients gets their digest.\n`,
    );
  } finally {
    connection.close();
  }
}
