/**
 * FHIR function: EventBridge Scheduler (every 15 minutes by default, with the fhirBaseUrl context
 * key) → one poll of the practice's FHIR R4 server (SMART Backend Services) → SessionCompleted,
 * from the product's inbound source, for each encounter that finished since the last poll. Wiring
 * only: the use case decides; the log and the metrics say what happened (session ids and counts;
 * never a Patient id, a name, an address, a URL or a token).
 *
 * A poll that failed (the FHIR server unavailable after its retries, a refused token, the bus)
 * fails the invocation so the function-error alarm tells the administrator; its cursor stayed, the
 * next poll covers the window. Without FHIR settings (the stack's context unset) it polls nothing.
 *
 * Behind the HTTP API's `POST /fhir/r4/notifications` the same function takes the FHIR server's
 * subscription notifications (shared/use-cases/receive-fhir-notification.ts): authenticated by the
 * notification secret as `Authorization: Bearer <secret>` (the Subscription's channel header);
 * 200 for a handled handshake, heartbeat or event, 401 without the secret, 400 for a body that is
 * not a notification, 503 when the FHIR server or the bus failed (the server retries).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { clock } from '../../shared/adapters/clock.ts';
import { getSecretsManagerClient } from '../../shared/adapters/secrets-manager.ts';
import { fhirPollStates } from '../../shared/adapters/dynamodb-poll-state-store.ts';
import { InboundEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { FhirHttpClient } from '../../shared/adapters/fhir-client.ts';
import { inboundDirectories } from '../../shared/adapters/inbound-directories.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { FHIR_INBOUND_SCOPES, secretsManagerSigningKey, SmartBackendAuth } from '../../shared/adapters/smart-backend-auth.ts';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { pollFhirEncounters, type FhirPollResult, type SkippedEncounter } from '../../shared/use-cases/poll-fhir-encounters.ts';
import { receiveFhirNotification, type NotificationResult } from '../../shared/use-cases/receive-fhir-notification.ts';

const logger = createLogger('fhir');
const metrics = createMetrics('fhir', logger);
const record = metricsRecorder(metrics);
const { maxSessionAgeHours } = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours });
const tableName = requireEnv(RESOURCE_ENV.tableName);
const state = fhirPollStates(tableName);
const publisher = new InboundEventPublisher(requireEnv(RESOURCE_ENV.busName));

/** The one FHIR source a stack polls (its state item's key). */
export const FHIR_SOURCE_ID = 'default';

const baseUrl = process.env[RESOURCE_ENV.fhirBaseUrl];
const tokenUrl = process.env[RESOURCE_ENV.fhirTokenUrl];
const clientId = process.env[RESOURCE_ENV.fhirClientId];
const keySecret = process.env[RESOURCE_ENV.fhirClientKeySecretArn];
const notificationSecretId = process.env[RESOURCE_ENV.fhirNotificationSecretArn];
// Module scope: the token is cached across the container's invocations until shortly before it expires.
const fhir =
  baseUrl && tokenUrl && clientId && keySecret
    ? new FhirHttpClient(baseUrl, new SmartBackendAuth({ tokenUrl, clientId, scope: FHIR_INBOUND_SCOPES.join(' ') }, secretsManagerSigningKey(keySecret, clock), { clock }), { clock })
    : undefined;

/** A poll that did not complete; the cursor stayed. */
export class FhirPollFailedError extends Error {
  override name = 'FhirPollFailedError';
  constructor(
    message: string,
    readonly report: FhirPollResult,
  ) {
    super(message);
  }
}

/** Counts what a poll or a notification announced and skipped. */
function countOutcome(outcome: Pick<FhirPollResult, 'announced' | 'skipped'>): void {
  for (const _ of outcome.announced) record.count(METRIC.sessionAnnounced);
  for (const [reason, ids] of Object.entries(outcome.skipped) as [SkippedEncounter, string[]][]) {
    for (const _ of ids) record.count(METRIC.appointmentSkipped, { name: METRIC_DIMENSION.reason, value: reason });
  }
}

/** Records a poll's outcome (log line, metrics). */
function recordPoll(report: FhirPollResult): void {
  logger.info('FHIR source polled', { ...report });
  countOutcome(report);
  if (report.status === 'failed' && report.failure !== 'concurrent-poll') record.count(METRIC.fhirPollFailed);
}

/** The scheduler's `{}`, or a notification through the HTTP API. */
export async function handler(event?: unknown): Promise<FhirPollResult | { status: 'not-configured' } | APIGatewayProxyStructuredResultV2> {
  if (isHttpEvent(event)) {
    try {
      return await notification(event);
    } finally {
      metrics.publishStoredMetrics();
    }
  }
  try {
    return await poll();
  } finally {
    metrics.publishStoredMetrics();
  }
}

async function poll(): Promise<FhirPollResult | { status: 'not-configured' }> {
  if (fhir === undefined) {
    logger.info('FHIR inbound is not configured (fhirBaseUrl unset): nothing polled');
    return { status: 'not-configured' };
  }
  const report = await pollFhirEncounters({ sourceId: FHIR_SOURCE_ID, fhir, state, ...inboundDirectories(tableName), publisher, clock, maxSessionAgeHours });
  recordPoll(report);
  if (report.status === 'failed' && report.failure !== 'concurrent-poll') throw new FhirPollFailedError(`FHIR source not polled (${report.failure}); the next poll covers the window`, report);
  return report;
}

function isHttpEvent(event: unknown): event is APIGatewayProxyEventV2 {
  return typeof event === 'object' && event !== null && 'requestContext' in event && typeof (event as { requestContext?: { http?: unknown } }).requestContext?.http === 'object';
}

/** Notifications are small (id-only, or one Encounter and its Patient); anything far larger is refused. */
const MAX_NOTIFICATION_BYTES = 1024 * 1024;

let cachedSecret: { value: string; readAt: number } | undefined;

/** The notification secret, read at most once a minute (a replaced secret holds everywhere within it). */
async function notificationSecret(): Promise<string | undefined> {
  if (notificationSecretId === undefined) return undefined;
  const now = clock.now().getTime();
  if (cachedSecret && now - cachedSecret.readAt < 60_000) return cachedSecret.value;
  const result = await getSecretsManagerClient().send(new GetSecretValueCommand({ SecretId: notificationSecretId }));
  cachedSecret = { value: (result.SecretString ?? '').trim(), readAt: now };
  return cachedSecret.value;
}

/** Compares in constant time (over digests, so the lengths do not show either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return expected.length >= 16 && timingSafeEqual(digest(given), digest(expected));
}

const answer = (statusCode: number, body?: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/fhir+json', 'cache-control': 'no-store' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

async function notification(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  if (event.requestContext.http.method !== 'POST') return answer(405, outcome('not-supported', 'POST notifications here'));
  if (fhir === undefined) return answer(404, outcome('not-found', 'FHIR inbound is not configured'));
  const expected = await notificationSecret();
  const header = event.headers?.['authorization'] ?? event.headers?.['Authorization'] ?? '';
  const given = /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] ?? '';
  if (expected === undefined || !sameSecret(given, expected)) {
    logger.warn('FHIR notification refused: no or wrong secret');
    return answer(401, outcome('login', 'the notification secret is missing or wrong'));
  }
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_NOTIFICATION_BYTES) return answer(413, outcome('too-costly', 'notification larger than 1 MiB'));
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return answer(400, outcome('structure', 'the body is not JSON'));
  }
  const received = await receiveFhirNotification(body, { sourceId: FHIR_SOURCE_ID, fhir, state, ...inboundDirectories(tableName), publisher, clock, maxSessionAgeHours });
  if (!received.ok) {
    logger.warn('FHIR notification refused', { reason: received.reason });
    return answer(400, outcome('invalid', received.reason));
  }
  recordNotification(received.result);
  return received.result.status === 'handled' ? answer(200) : answer(503, outcome('transient', `not handled (${received.result.failure}); retry`));
}

function recordNotification(result: NotificationResult): void {
  // The subscription's reference is the practice's own configuration; session ids and counts only otherwise.
  logger.info('FHIR notification received', { ...result, gapPoll: result.gapPoll === undefined ? undefined : { status: result.gapPoll.status, failure: result.gapPoll.failure, announced: result.gapPoll.announced.length } });
  countOutcome(result);
  if (result.gapPoll) countOutcome(result.gapPoll);
}
