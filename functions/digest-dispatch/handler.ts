/**
 * Digest dispatch function: EventBridge Scheduler (every hour, on the hour) → the therapists whose
 * local time is the digest's day and hour → one DigestTimeReached each on the bus, which its rule and queue
 * take to the digest function one therapist at a time. Wiring only: the use case decides; the log
 * says how many and which ids (never an address).
 *
 * Why a query of the directory's index and not a scan: the directory is small (a few thousand
 * therapists at most), but the table holds every client's history; a scan every hour would read
 * all of it. The sparse index holds the therapist items alone (items/therapist.ts THERAPIST_INDEX).
 */
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbDigestRoster } from '../../shared/adapters/dynamodb-digest-store.ts';
import { ProductEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { createLogger } from '../../shared/adapters/powertools.ts';
import { DIGEST_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { dispatchDigests, type DispatchReport } from '../../shared/use-cases/send-digest.ts';

const logger = createLogger('digest-dispatch');
const { practiceTimeZone, digestDay, digestHour } = readSettingsFromEnv({
  practiceTimeZone: REQUEST_SETTINGS.practiceTimeZone,
  digestDay: DIGEST_SETTINGS.digestDay,
  digestHour: DIGEST_SETTINGS.digestHour,
});
const roster = new DynamoDbDigestRoster(requireEnv(RESOURCE_ENV.tableName));
const publisher = new ProductEventPublisher(requireEnv(RESOURCE_ENV.busName));

/** The scheduler's input is ignored: the hour is the clock's. */
export async function handler(): Promise<DispatchReport> {
  const report = await dispatchDigests({ roster, publisher, clock, schedule: { digestDay, digestHour }, practiceTimeZone });
  logger.info('Digests dispatched', { therapists: report.therapists, due: report.due.length, off: report.off, therapistIds: report.due.slice(0, 50) });
  return report;
}
