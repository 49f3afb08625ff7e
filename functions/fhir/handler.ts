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
 */
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbFhirStateStore } from '../../shared/adapters/dynamodb-fhir-state-store.ts';
import { InboundEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { FhirHttpClient } from '../../shared/adapters/fhir-client.ts';
import { inboundDirectories } from '../../shared/adapters/inbound-directories.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { FHIR_INBOUND_SCOPES, secretsManagerSigningKey, SmartBackendAuth } from '../../shared/adapters/smart-backend-auth.ts';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { pollFhirEncounters, type FhirPollResult, type SkippedEncounter } from '../../shared/use-cases/poll-fhir-encounters.ts';

const logger = createLogger('fhir');
const metrics = createMetrics('fhir', logger);
const record = metricsRecorder(metrics);
const { maxSessionAgeHours } = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours });
const tableName = requireEnv(RESOURCE_ENV.tableName);
const state = new DynamoDbFhirStateStore(tableName);
const publisher = new InboundEventPublisher(requireEnv(RESOURCE_ENV.busName));

/** The one FHIR source a stack polls (its state item's key). */
export const FHIR_SOURCE_ID = 'default';

const baseUrl = process.env[RESOURCE_ENV.fhirBaseUrl];
const tokenUrl = process.env[RESOURCE_ENV.fhirTokenUrl];
const clientId = process.env[RESOURCE_ENV.fhirClientId];
const keySecret = process.env[RESOURCE_ENV.fhirClientKeySecretArn];
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

/** Records a poll's outcome (log line, metrics); shared with the notification path. */
export function recordPoll(report: FhirPollResult): void {
  logger.info('FHIR source polled', { ...report });
  for (const _ of report.announced) record.count(METRIC.sessionAnnounced);
  for (const [reason, ids] of Object.entries(report.skipped) as [SkippedEncounter, string[]][]) {
    for (const _ of ids) record.count(METRIC.appointmentSkipped, { name: METRIC_DIMENSION.reason, value: reason });
  }
  if (report.status === 'failed' && report.failure !== 'concurrent-poll') record.count(METRIC.fhirPollFailed);
  metrics.publishStoredMetrics();
}

/** The scheduler's input is ignored: a poll always covers the window since the last successful one. */
export async function handler(): Promise<FhirPollResult | { status: 'not-configured' }> {
  if (fhir === undefined) {
    logger.info('FHIR inbound is not configured (fhirBaseUrl unset): nothing polled');
    return { status: 'not-configured' };
  }
  const report = await pollFhirEncounters({ sourceId: FHIR_SOURCE_ID, fhir, state, ...inboundDirectories(tableName), publisher, clock, maxSessionAgeHours });
  recordPoll(report);
  if (report.status === 'failed' && report.failure !== 'concurrent-poll') throw new FhirPollFailedError(`FHIR source not polled (${report.failure}); the next poll covers the window`, report);
  return report;
}
