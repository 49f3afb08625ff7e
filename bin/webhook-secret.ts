/**
 * `alliance webhook-secret`: the signed webhook's secret in Secrets Manager (shared/adapters/
 * webhook-secret.ts has its format). Each new secret is made from the system's cryptographic random
 * source, stored, and printed once on stdout — nowhere else: copy it into the EHR's webhook settings.
 *
 *   create            the first secret (refuses when one is set: rotate instead)
 *   rotate            a new current secret; the previous one keeps verifying for --window-days
 *                     (default 7) or until retire-previous, so the EHR can switch without a gap
 *   retire-previous   only the current secret verifies from now on
 *   generate          print a new secret and store nothing (for WEBHOOK_SECRET with `npm start`)
 *
 * Against the local stack of `npm start` by default (its Secrets Manager stand-in on the bus's
 * port); on AWS with --region and --secret-id (the stack output WebhookSecretArn). The hooks
 * function caches the secret for a minute: a rotation or retirement holds everywhere within it.
 */
import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LOCAL_CREDENTIALS } from '../infra/local/dynamodb-local.ts';
import { LOCAL_SECRET_NAMES } from '../infra/local/secrets-emulator.ts';
import {
  generateWebhookSecret,
  parseWebhookSecretValue,
  retirePreviousWebhookSecret,
  rotateWebhookSecret,
  ROTATION_WINDOW_DAYS,
  WebhookSecretFormatError,
  type WebhookSecretValue,
} from '../shared/adapters/webhook-secret.ts';
import { parseOptions, wholeNumber } from './args.ts';
import { connect } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

export const WEBHOOK_SECRET_HELP = `Usage: alliance webhook-secret <create|rotate|retire-previous|generate> [options]

The signed webhook's secret (Standard Webhooks, whsec_…), kept in Secrets Manager. A new secret is
printed once, on stdout: put it in your EHR's webhook settings (or your script) at once.

  create            Store the first secret (refused when one is set: use rotate)
  rotate            Store a new secret; the previous one keeps working for --window-days
                    (default ${ROTATION_WINDOW_DAYS}) or until retire-previous, so senders can switch without a gap
  retire-previous   Stop accepting the previous secret now
  generate          Print a new secret, store nothing (e.g. WEBHOOK_SECRET=… npm start)

Options:
  --window-days N      rotate: days the previous secret stays valid (0–90, default ${ROTATION_WINDOW_DAYS})
  --secret-id ARN      On AWS: the secret (stack output WebhookSecretArn); required with --region
  --region REGION      Use AWS in REGION with your usual credentials (AWS_PROFILE, SSO, ...)
  --bus-endpoint URL   The local stack's bus endpoint, which also answers Secrets Manager
                       (default http://127.0.0.1:4010, or BUS_PORT)
  -h, --help           Show this help

The hooks function re-reads the secret at least once a minute (and at once when a signature
matches no cached secret), so a rotation or retirement holds everywhere within a minute.

Examples:
  npx alliance webhook-secret create --region eu-west-1 --secret-id arn:aws:secretsmanager:…:secret:WebhookSecret…
  npx alliance webhook-secret rotate
  npx alliance webhook-secret retire-previous
`;

const ACTIONS = ['create', 'rotate', 'retire-previous', 'generate'] as const;
type Action = (typeof ACTIONS)[number];

export interface WebhookSecretIo {
  /** The new secret goes here, alone on its line. */
  out: (line: string) => void;
  /** Everything else: what happened and what to do next. */
  err: (line: string) => void;
  now: () => Date;
}

const STANDARD_IO: WebhookSecretIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
};

/** Runs `alliance webhook-secret`. */
export async function webhookSecretCommand(args: string[], io: WebhookSecretIo = STANDARD_IO): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    { 'window-days': { type: 'string' }, 'secret-id': { type: 'string' }, region: { type: 'string' }, 'bus-endpoint': { type: 'string' } },
    true,
  );
  const [action, extra] = positionals;
  if (!ACTIONS.includes(action as Action)) throw new UsageError(action === undefined ? 'say what to do: create, rotate, retire-previous or generate' : `unknown action "${action}"`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const windowDays = wholeNumber(values['window-days'], 'window-days', ROTATION_WINDOW_DAYS, 0, 90);
  if (action === 'generate') {
    io.out(generateWebhookSecret());
    io.err('Not stored anywhere. Locally: WEBHOOK_SECRET=<it> npm start');
    return;
  }
  const connection = connect({ region: values.region, 'bus-endpoint': values['bus-endpoint'] }, { needsTable: false });
  if (connection.target === 'aws' && values['secret-id'] === undefined) throw new UsageError('on AWS, --secret-id is required (the stack output WebhookSecretArn)');
  const secretId = values['secret-id'] ?? LOCAL_SECRET_NAMES.webhook;
  const client = new SecretsManagerClient(
    connection.target === 'local' ? { region: connection.region, endpoint: connection.localBusEndpoint!, credentials: LOCAL_CREDENTIALS } : { region: connection.region },
  );
  const where = connection.target === 'local' ? `the local stack (${connection.localBusEndpoint})` : `${secretId} in ${connection.region}`;
  try {
    const stored = await readStored(client, secretId, where);
    switch (action as Exclude<Action, 'generate'>) {
      case 'create': {
        if (stored !== undefined) throw new InputError(`${where} already has a webhook secret: use \`alliance webhook-secret rotate\` to replace it without a gap`);
        const secret = generateWebhookSecret();
        await write(client, secretId, { current: secret });
        io.out(secret);
        io.err(`Stored in ${where}. This is the only time it is shown: put it in your EHR's webhook settings now.`);
        return;
      }
      case 'rotate': {
        if (stored === undefined) throw new InputError(`${where} has no webhook secret yet: use \`alliance webhook-secret create\``);
        const secret = generateWebhookSecret();
        const next = rotateWebhookSecret(stored, secret, io.now(), windowDays);
        await write(client, secretId, next);
        io.out(secret);
        io.err(
          `Stored in ${where}. This is the only time it is shown: put it in your EHR's webhook settings now. ` +
            `The previous secret keeps working until ${next.previousUntil} (or \`alliance webhook-secret retire-previous\`).`,
        );
        return;
      }
      case 'retire-previous': {
        if (stored === undefined) throw new InputError(`${where} has no webhook secret yet: use \`alliance webhook-secret create\``);
        if (stored.previous === undefined) {
          io.err(`${where} has no previous secret: nothing to retire.`);
          return;
        }
        await write(client, secretId, retirePreviousWebhookSecret(stored));
        io.err(`The previous secret is retired in ${where}: within a minute only the current one verifies.`);
        return;
      }
    }
  } finally {
    client.destroy();
    connection.close();
  }
}

/** The stored value, or undefined when the secret holds CloudFormation's placeholder (no whsec_ secret yet). */
async function readStored(client: SecretsManagerClient, secretId: string, where: string): Promise<WebhookSecretValue | undefined> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new InputError(`no webhook secret ${secretId} in ${where}: check --secret-id (the stack output WebhookSecretArn) and --region, or start the local stack`);
    throw error;
  }
  if (text === undefined) return undefined;
  try {
    return parseWebhookSecretValue(text);
  } catch (error) {
    if (error instanceof WebhookSecretFormatError) return undefined;
    throw error;
  }
}

async function write(client: SecretsManagerClient, secretId: string, value: WebhookSecretValue): Promise<void> {
  await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(value) }));
}
