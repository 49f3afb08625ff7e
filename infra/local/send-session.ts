/**
 * `npm run send-session`: puts one SessionCompleted event on the local bus with the real AWS SDK,
 * the way an EHR integration would, and says where to look for the email.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { parseArgs } from 'node:util';
import { DEFAULT_BUS_NAME, SessionCompleted, type SessionCompletedDetail } from '../../shared/events/contracts.ts';

const { values } = parseArgs({
  options: {
    session: { type: 'string' },
    client: { type: 'string', default: 'c-1042' },
    therapist: { type: 'string', default: 't-7' },
    email: { type: 'string', default: 'ana@example.com' },
    'first-name': { type: 'string', default: 'Ana' },
    locale: { type: 'string', default: 'en' },
    'ended-at': { type: 'string' },
    'therapist-email': { type: 'string', default: 'lee@practice.example' },
    'therapist-name': { type: 'string', default: 'Dr. Lee' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run send-session -- [options]

Puts one SessionCompleted event on the local bus (http://127.0.0.1:$BUS_PORT, default 4010).

  --session ID           session id (default: a new one each run)
  --client ID            client id (default c-1042)
  --therapist ID         therapist id (default t-7)
  --email ADDRESS        client's email (default ana@example.com)
  --first-name NAME      client's first name (default Ana)
  --locale en|es         client's language (default en)
  --ended-at ISO         when the session ended (default: 5 minutes ago)
  --therapist-email A    therapist's email (default lee@practice.example)
  --therapist-name NAME  therapist's name (default Dr. Lee)`);
  process.exit(0);
}

const busPort = process.env['BUS_PORT'] ?? '4010';
const sesPort = process.env['SES_PORT'] ?? '8005';
const detail: SessionCompletedDetail = {
  sessionId: values.session ?? `s-${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`,
  clientId: values.client,
  therapistId: values.therapist,
  endedAt: values['ended-at'] ?? new Date(Date.now() - 5 * 60_000).toISOString(),
  client: { email: values.email, firstName: values['first-name'], locale: values.locale as SessionCompletedDetail['client']['locale'] },
  therapist: { email: values['therapist-email'], name: values['therapist-name'] },
};

const client = new EventBridgeClient({
  endpoint: `http://127.0.0.1:${busPort}`,
  region: process.env['AWS_REGION'] ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

try {
  // An EHR's own source, as docs/integrate.md asks of integrators: this stands in for the practice's
  // EHR, not for one of the product's inbound adapters (those publish with InboundEventPublisher and
  // INBOUND_SOURCE). Either source passes the SessionCompleted rule; only PRODUCT_SOURCE would not.
  const result = await client.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }],
    }),
  );
  const entry = result.Entries?.[0];
  if (result.FailedEntryCount) {
    console.error(`Not accepted: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
    process.exit(1);
  }
  console.log(`SessionCompleted ${detail.sessionId} accepted (event ${entry?.EventId}).`);
  console.log(`Mail viewer: http://127.0.0.1:${sesPort}`);
} catch (error) {
  const code = (error as { code?: string }).code ?? (error as Error).name;
  console.error(`Could not reach the local bus at http://127.0.0.1:${busPort} (${code}). Is \`npm start\` running?`);
  process.exit(1);
}
