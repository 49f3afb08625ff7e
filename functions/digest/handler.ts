/**
 * Digest function: DigestTimeReached → one weekly digest email to the registered therapist, read from
 * their caseload in one query, sent once per digestId, with a trend-page link per client (the
 * therapist's own, issued as the alert's are). Wiring only.
 */
import { clock } from '../../shared/adapters/clock.ts';
import { clientPseudonym } from '../../shared/adapters/client-pseudonym.ts';
import { DynamoDbDigestStore } from '../../shared/adapters/dynamodb-digest-store.ts';
import { trendLinksOn } from '../../shared/adapters/dynamodb-trend-store.ts';
import { createLogger, createMetrics } from '../../shared/adapters/powertools.ts';
import { sesMailerFromSettings } from '../../shared/adapters/ses-mailer.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { ALERT_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { DigestTimeReached } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { sendDigest, type SendDigestDeps } from '../../shared/use-cases/send-digest.ts';
import { issueTrendLink, trendLinkPath } from '../../shared/use-cases/trend-link.ts';

const logger = createLogger('digest');
const metrics = createMetrics('digest', logger);
const settings = readSettingsFromEnv({
  senderAddress: REQUEST_SETTINGS.senderAddress,
  practiceName: REQUEST_SETTINGS.practiceName,
  practiceTimeZone: REQUEST_SETTINGS.practiceTimeZone,
  alertClientLabel: ALERT_SETTINGS.alertClientLabel,
  trendLinkDays: ALERT_SETTINGS.trendLinkDays,
  formBaseUrl: REQUEST_SETTINGS.formBaseUrl,
});
const tableName = requireEnv(RESOURCE_ENV.tableName);
const trendLinks = trendLinksOn(tableName, settings.trendLinkDays);
const webBaseUrl = settings.formBaseUrl.replace(/\/+$/, '');
const digest = readSettingsFromEnv(DIGEST_SETTINGS);
const { addressHashKey } = readSettingsFromEnv(PRIVACY_SETTINGS);

const deps: SendDigestDeps = {
  store: new DynamoDbDigestStore(tableName),
  mailer: sesMailerFromSettings(settings),
  clock,
  practiceName: settings.practiceName,
  practiceTimeZone: settings.practiceTimeZone,
  clientLabel: settings.alertClientLabel,
  pseudonym: (clientId) => clientPseudonym(addressHashKey, clientId),
  activeWeeks: digest.digestActiveWeeks,
  responseRateWeeks: digest.responseRateWeeks,
  // The therapist's own link to each client's trend page, alive for trendLinkDays like the alert's.
  trendLinkFor: async (therapistId, clientId, now) => `${webBaseUrl}${trendLinkPath(await issueTrendLink({ therapistId, clientId, now }, trendLinks))}`,
  claimLeaseSeconds: Number(process.env[RESOURCE_ENV.claimLeaseSeconds] ?? 60),
};

export const handler = queueHandler({
  logger,
  metrics,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(DigestTimeReached, async (detail) => {
      const result = await sendDigest(detail, deps);
      // Ids and counts only: never an address or a client's label.
      logger.info('Digest handled', { therapistId: detail.therapistId, digestId: detail.digestId, ...result });
    }),
  ],
});
