/**
 * `npm run send-session`: puts one SessionCompleted event on the local bus with the real AWS SDK,
 * the way an EHR integration would, then waits for what the stack made of it and says so: email
 * sent, skipped (and why), a duplicate, or dead-lettered (and why). The bus accepting the event
 * says only that it was routed.
 */
import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { DEFAULT_TABLE_NAME } from '../../shared/adapters/table.ts';
import { DEFAULT_BUS_NAME, SessionCompleted, type SessionCompletedDetail } from '../../shared/events/contracts.ts';
import { localDynamoDbClient } from './dynamodb-local.ts';
import { describeOutcome, isSettled, readSessionState, waitForOutcome, type OutcomeSources, type SessionState } from './session-outcome.ts';

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
    wait: { type: 'string', default: '20' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run send-session -- [options]

Puts one SessionCompleted event on the local bus (http://127.0.0.1:$BUS_PORT, default 4010) and
waits for the outcome: email sent, skipped (and why), a duplicate, or dead-lettered (and why).

  --session ID           session id (default: a new one each run)
  --client ID            client id (default c-1042)
  --therapist ID         therapist id (default t-7)
  --email ADDRESS        client's email (default ana@example.com)
  --first-name NAME      client's first name (default Ana)
  --locale en|es         client's language (default en)
  --ended-at ISO         when the session ended (default: 5 minutes ago)
  --therapist-email A    therapist's email (default lee@practice.example)
  --therapist-name NAME  therapist's name (default Dr. Lee)
  --wait SECONDS         how long to wait for the outcome (default 20; 0: do not wait)

Exit status: 0 when the stack decided (sent, skipped, duplicate), 1 when the event was refused or
dead-lettered, or no outcome came within --wait.`);
  process.exit(0);
}

const busPort = process.env['BUS_PORT'] || '4010';
const sesPort = process.env['SES_PORT'] || '8005';
const dynamoDbPort = process.env['DYNAMODB_PORT'] || '8000';
const waitSeconds = Number(values.wait);
if (!(waitSeconds >= 0)) {
  console.error(`--wait must be a number of seconds, got "${values.wait}"`);
  process.exit(1);
}
const detail: SessionCompletedDetail = {
  // The time for a reader, and a random part: two runs in the same second are two sessions.
  sessionId: values.session ?? `s-${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`,
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

const table = DynamoDBDocumentClient.from(localDynamoDbClient(`http://127.0.0.1:${dynamoDbPort}`, process.env['AWS_REGION'] ?? 'us-east-1'));
const sources: OutcomeSources = { client: table, tableName: DEFAULT_TABLE_NAME, deadLettersUrl: `http://127.0.0.1:${busPort}/dead-letters` };

// A session recorded before this event makes the event a duplicate: the stack handles a session once.
let before: SessionState | undefined;
if (waitSeconds > 0) {
  try {
    before = await readSessionState(sources, detail.sessionId);
  } catch (error) {
    console.error(`Could not reach DynamoDB Local at http://127.0.0.1:${dynamoDbPort} (${(error as Error).name}). Is \`npm start\` running?`);
    process.exit(1);
  }
}

let eventId: string | undefined;
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
  eventId = entry?.EventId;
  console.log(`SessionCompleted ${detail.sessionId} accepted by the bus (event ${eventId}).`);
} catch (error) {
  const code = (error as { code?: string }).code ?? (error as Error).name;
  console.error(`Could not reach the local bus at http://127.0.0.1:${busPort} (${code}). Is \`npm start\` running?`);
  process.exit(1);
}

if (waitSeconds === 0 || !eventId) {
  console.log(`Mail viewer: http://127.0.0.1:${sesPort}`);
  process.exit(0);
}
try {
  const outcome = await waitForOutcome(sources, detail.sessionId, eventId, before, { timeoutMs: waitSeconds * 1000 });
  console.log(describeOutcome(outcome, detail.sessionId));
  if (outcome.kind === 'email-sent') console.log(`Mail viewer: http://127.0.0.1:${sesPort}`);
  if (outcome.kind === 'dead-lettered') console.log(`Dead letters: ${sources.deadLettersUrl}`);
  process.exitCode = isSettled(outcome) ? 0 : 1;
} catch (error) {
  console.error(`Could not read the outcome from DynamoDB Local at http://127.0.0.1:${dynamoDbPort} (${(error as Error).name}). Is DYNAMODB_PORT the stack's?`);
  process.exitCode = 1;
} finally {
  table.destroy();
}
