/**
 * `alliance fhir poll`: one poll of the practice's FHIR R4 server, now, with the same use case the
 * fhir function runs on its schedule (shared/use-cases/poll-fhir-encounters.ts) and the same state,
 * so neither announces an encounter the other did. Against the local stack of `npm start` by
 * default (its FHIR stand-in on FHIR_PORT, the key the stack made for it); on AWS with --region and
 * the stack's settings. It prints session ids and counts; never a Patient id, a name or an address.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clock } from '../shared/adapters/clock.ts';
import { fhirPollStates } from '../shared/adapters/dynamodb-poll-state-store.ts';
import { InboundEventPublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { FhirHttpClient } from '../shared/adapters/fhir-client.ts';
import { inboundDirectories } from '../shared/adapters/inbound-directories.ts';
import { FHIR_INBOUND_SCOPES, secretsManagerSigningKey, SmartBackendAuth } from '../shared/adapters/smart-backend-auth.ts';
import { REQUEST_SETTINGS, readSettingsFromEnv } from '../shared/config.ts';
import { pollFhirEncounters } from '../shared/use-cases/poll-fhir-encounters.ts';
import { LOCAL_CREDENTIALS } from '../infra/local/dynamodb-local.ts';
import { describeFhirPoll } from '../infra/local/fhir/fhir-poller.ts';
import { FHIR_BASE_PATH, LOCAL_FHIR_CLIENT_ID } from '../infra/local/fhir/fhir-server.ts';
import { fhirPortFromEnv, LOCAL_HOST } from '../infra/local/ports.ts';
import { LOCAL_SECRET_NAMES } from '../infra/local/secrets-emulator.ts';
import { parseOptions } from './args.ts';
import { reaching } from './client-data.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

/** The id the fhir function keeps its state under (functions/fhir/handler.ts). */
const SOURCE_ID = 'default';

export const FHIR_HELP = `Usage: alliance fhir poll [--base-url URL --token-url URL --client-id ID --secret-id ARN] [--json] [where]

Polls the practice's FHIR R4 server once, now, as the fhir function does on its schedule: each
Encounter with status finished, last updated since the last poll (and ended within
maxSessionAgeHours), becomes one SessionCompleted, once. The schedule and this command share the
poll's state, so neither announces an encounter the other did.

  --base-url URL      The FHIR base (default: the local stand-in, http://${LOCAL_HOST}:<FHIR_PORT>${FHIR_BASE_PATH})
  --token-url URL     The SMART token endpoint (default: <base-url>/auth/token)
  --client-id ID      The backend app's client id (default: the local stack's, ${LOCAL_FHIR_CLIENT_ID})
  --secret-id ARN     The secret with the backend app's private key (stack output FhirClientKeySecretArn;
                      default: the local stack's)
  --json              Print the whole report as JSON (session ids, counts)
  -h, --help          Show this help

${CONNECTION_HELP}
Examples:
  npx alliance fhir poll
  npx alliance fhir poll --base-url https://ehr.example.org/fhir/r4 --token-url https://ehr.example.org/oauth2/token \\
    --client-id 0oa1b2c3 --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:FhirInboundClientKey... \\
    --table AllianceFeedback-Table-ABC123 --bus alliance-feedback --region eu-west-1
`;

/** Runs `alliance fhir`. */
export async function fhirCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'poll') throw new UsageError(action === undefined ? 'say what to do: poll' : `unknown action "${action}"`);
  const { values } = parseOptions(
    rest,
    { ...CONNECTION_OPTIONS, 'base-url': { type: 'string' }, 'token-url': { type: 'string' }, 'client-id': { type: 'string' }, 'secret-id': { type: 'string' }, json: { type: 'boolean' } },
    false,
  );
  const connection = connect(values);
  const local = connection.target === 'local';
  if (!local && (values['base-url'] === undefined || values['token-url'] === undefined || values['client-id'] === undefined || values['secret-id'] === undefined)) {
    throw new UsageError('on AWS, give --base-url, --token-url, --client-id and --secret-id (the stack settings fhirBaseUrl, fhirTokenUrl, fhirClientId and the output FhirClientKeySecretArn)');
  }
  let fhirPort: number;
  try {
    fhirPort = fhirPortFromEnv();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const baseUrl = values['base-url'] ?? `http://${LOCAL_HOST}:${fhirPort}${FHIR_BASE_PATH}`;
  const tokenUrl = values['token-url'] ?? `${baseUrl.replace(/\/+$/, '')}/auth/token`;
  for (const [name, url] of [['--base-url', baseUrl], ['--token-url', tokenUrl]] as const) if (!URL.canParse(url)) throw new UsageError(`${name} must be a URL, got "${url}"`);
  const secrets = new SecretsManagerClient(local ? { region: connection.region, endpoint: connection.localBusEndpoint!, credentials: LOCAL_CREDENTIALS } : { region: connection.region });
  try {
    const { maxSessionAgeHours } = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours });
    const auth = new SmartBackendAuth(
      { tokenUrl, clientId: values['client-id'] ?? LOCAL_FHIR_CLIENT_ID, scope: FHIR_INBOUND_SCOPES.join(' ') },
      secretsManagerSigningKey(values['secret-id'] ?? LOCAL_SECRET_NAMES.fhirClientKey, clock, () => secrets),
      { clock },
    );
    const report = await reaching(connection, () =>
      pollFhirEncounters({
        sourceId: SOURCE_ID,
        fhir: new FhirHttpClient(baseUrl, auth, { clock }),
        state: fhirPollStates(connection.tableName, connection.documentClient()),
        ...inboundDirectories(connection.tableName, connection.documentClient()),
        publisher: new InboundEventPublisher(connection.busName, connection.eventBridge()),
        clock,
        maxSessionAgeHours,
      }),
    );
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${describeFhirPoll(report)}\n`);
    if (report.status === 'failed' && report.failure !== 'concurrent-poll') throw new InputError(`the FHIR source was not polled (${report.failure}); the next poll covers the window`);
  } finally {
    secrets.destroy();
    connection.close();
  }
}
