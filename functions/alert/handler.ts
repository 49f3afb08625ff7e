/**
 * Alert function: AllianceRuptureDetected → one email to the therapist per (session, kind), at the
 * therapist directory's address only; for a therapist not registered the alert waits, and
 * TherapistRegistered sends what waited. Wiring only.
 */
import { ALERT_SETTINGS, DETECTOR_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { AllianceRuptureDetected, TherapistRegistered } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { clientPseudonym } from '../../shared/adapters/client-pseudonym.ts';
import { DynamoDbResponseCounter } from '../../shared/adapters/dynamodb-caseload-store.ts';
import { DynamoDbAlertStore } from '../../shared/adapters/dynamodb-alert-store.ts';
import { DynamoDbClientHistoryStore } from '../../shared/adapters/dynamodb-client-history-store.ts';
import { trendLinksOn } from '../../shared/adapters/dynamodb-trend-store.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import { DynamoDbWaitingAlertStore } from '../../shared/adapters/dynamodb-waiting-alert-store.ts';
import { randomTokens } from '../../shared/adapters/form-tokens.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { sesMailerFromSettings } from '../../shared/adapters/ses-mailer.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { releaseWaitingAlerts, sendAlert, type SendAlertDeps } from '../../shared/use-cases/send-alert.ts';

const logger = createLogger('alert');
const metrics = createMetrics('alert', logger);
const record = metricsRecorder(metrics);
const settings = readSettingsFromEnv(REQUEST_SETTINGS);
const instruments = loadInstruments();
const { retentionDays } = readSettingsFromEnv(RETENTION_SETTINGS);
const { addressHashKey } = readSettingsFromEnv(PRIVACY_SETTINGS);
const alertSettings = readSettingsFromEnv(ALERT_SETTINGS);
const { unrepairedEmailsTherapist } = readSettingsFromEnv({ unrepairedEmailsTherapist: DETECTOR_SETTINGS.unrepairedEmailsTherapist });

const deps: SendAlertDeps = {
  store: new DynamoDbAlertStore(requireEnv(RESOURCE_ENV.tableName), undefined, retentionDays),
  mailer: sesMailerFromSettings(settings),
  clock,
  tokens: randomTokens,
  settings: { ...alertSettings, unrepairedEmailsTherapist },
  practiceName: settings.practiceName,
  practiceTimeZone: settings.practiceTimeZone,
  webBaseUrl: settings.formBaseUrl.replace(/\/+$/, ''),
  instrument: (id) => instruments.find(id),
  pseudonym: (clientId) => clientPseudonym(addressHashKey, clientId),
  claimLeaseSeconds: Number(process.env[RESOURCE_ENV.claimLeaseSeconds] ?? 120),
  therapists: new DynamoDbTherapistDirectory(requireEnv(RESOURCE_ENV.tableName)),
  waiting: new DynamoDbWaitingAlertStore(requireEnv(RESOURCE_ENV.tableName), undefined, retentionDays),
  history: new DynamoDbClientHistoryStore(requireEnv(RESOURCE_ENV.tableName)),
  trendLinks: trendLinksOn(requireEnv(RESOURCE_ENV.tableName), alertSettings.trendLinkDays),
  adminEmail: process.env[RESOURCE_ENV.adminEmail] || undefined,
  responses: new DynamoDbResponseCounter(requireEnv(RESOURCE_ENV.tableName)),
  // Ids and the reason only: a supervisor or covering clinician named in the directory but not registered (or the therapist themselves).
  onIgnoredRecipient: ({ role, therapistId, reason, sessionId, kind }) => logger.warn('Alert routing names a clinician who gets nothing', { role, therapistId, reason, sessionId, kind }),
};

export const handler = queueHandler({
  logger,
  metrics,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(AllianceRuptureDetected, async (detail) => {
      const outcome = await sendAlert(detail, deps);
      if (outcome === 'unknown-session' || outcome === 'not-raised') {
        // Ids and the kind only: the event's reason is whoever put it on the bus's text.
        logger.warn('Alert does not match the stored evaluation; nothing sent', { sessionId: detail.sessionId, kind: detail.kind, outcome });
        record.count(METRIC.eventIgnored);
        return;
      }
      if (outcome === 'awaiting-therapist') {
        // Ids only: the address the event gave is never logged (nor mailed).
        logger.warn('Alert waits: its therapist is not in the directory', { sessionId: detail.sessionId, therapistId: detail.therapistId, kind: detail.kind, outcome });
        return;
      }
      logger.info('Alert handled', { sessionId: detail.sessionId, clientId: detail.clientId, kind: detail.kind, outcome });
      if (outcome === 'sent') record.count(METRIC.alertEmailSent, { name: METRIC_DIMENSION.kind, value: detail.kind });
    }),
    on(TherapistRegistered, async (detail) => {
      const result = await releaseWaitingAlerts(detail.therapistId, deps);
      logger.info('Waiting alerts released', { therapistId: detail.therapistId, ...(result === 'not-registered' ? { outcome: result } : result) });
      // An alert another attempt is sending right now: the event is retried, so none is left waiting.
      if (result !== 'not-registered' && result.inProgress > 0) throw new Error(`${result.inProgress} waiting alert(s) of therapist ${detail.therapistId} are being sent by another attempt; retrying`);
    }),
  ],
});
