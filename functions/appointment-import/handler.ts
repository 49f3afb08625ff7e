/**
 * Appointment import function: an appointment CSV created under `incoming/` in the drop bucket →
 * the same import as `npx alliance import` (shared/use-cases/import-appointments.ts), streaming
 * from S3, → its report under `reports/` beside the file. Wiring only.
 *
 * A file the import cannot use (bad rows, a missing column, an unreadable file or mapping) gets a
 * report that says why, and the invocation succeeds: retrying would read the same bytes. Anything
 * else (S3 or the bus unreachable) throws, and Lambda retries the event; a repeated import sends
 * no second email.
 */
import type { S3Event } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CsvFormatError, readCsv } from '../../shared/adapters/csv-records.ts';
import { EventBridgeSessionAnnouncer } from '../../shared/adapters/eventbridge-session-announcer.ts';
import { inboundDirectories } from '../../shared/adapters/inbound-directories.ts';
import { createLogger, createMetrics } from '../../shared/adapters/powertools.ts';
import { S3AppointmentDrop } from '../../shared/adapters/s3-appointment-drop.ts';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { CANONICAL_MAPPING, MappingError, parseAppointmentMapping } from '../../shared/domain/appointments/mapping.ts';
import { METRIC, METRIC_DIMENSION } from '../../shared/metrics.ts';
import { AppointmentFileError, importAppointments, type ImportReport } from '../../shared/use-cases/import-appointments.ts';
import type { SkippedAppointment } from '../../shared/use-cases/complete-session.ts';

const logger = createLogger('appointment-import');
const metrics = createMetrics('appointment-import', logger);
const policy = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours, maxSessionLeadMinutes: REQUEST_SETTINGS.maxSessionLeadMinutes });
const busName = requireEnv(RESOURCE_ENV.busName);
const announcer = new EventBridgeSessionAnnouncer(busName);
// The roster and directory (the table's name is added with their stores' access; see the seam).
const directories = inboundDirectories(process.env[RESOURCE_ENV.tableName] ?? '');

/** A file the import refused as a whole: what the report says instead of counts. */
const UNUSABLE = [CsvFormatError, AppointmentFileError, MappingError];

export async function handler(event: S3Event): Promise<void> {
  for (const record of event.Records) {
    const bucket = record.s3.bucket.name;
    // Keys arrive URL-encoded, with spaces as '+'.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const versionId = record.s3.object.versionId;
    const drop = new S3AppointmentDrop(bucket);
    let report: ({ file: string; importedAt: string } & ImportReport) | { file: string; importedAt: string; refused: true; error: string };
    const importedAt = new Date().toISOString();
    try {
      const mappingText = await drop.mapping();
      const mapping = mappingText === undefined ? CANONICAL_MAPPING : parseAppointmentMapping(mappingText);
      const result = await importAppointments(
        { open: async () => readCsv(await drop.open(key, versionId)), mapping, now: new Date(importedAt), policy, dryRun: false },
        { ...directories, announcer },
      );
      report = { file: key, importedAt, ...result };
      recordMetrics(result);
    } catch (error) {
      if (!UNUSABLE.some((kind) => error instanceof kind)) throw error;
      report = { file: key, importedAt, refused: true, error: (error as Error).message };
    }
    const reportKey = await drop.writeReport(key, report);
    // Counts and keys only: the report itself has no personal data either, but the log needs none of it.
    logger.info('Appointment file imported', {
      key,
      reportKey,
      refused: report.refused,
      ...('rows' in report ? { rows: report.rows, announced: report.announced, badRows: report.badRowCount, unannounced: report.unannounced.length } : { error: report.error }),
    });
  }
  metrics.publishStoredMetrics();
}

function recordMetrics(report: ImportReport): void {
  if (report.announced > 0) metrics.addMetric(METRIC.sessionAnnounced, MetricUnit.Count, report.announced);
  for (const [reason, count] of Object.entries(report.skipped) as [SkippedAppointment, number][]) {
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSION.reason, reason);
    single.addMetric(METRIC.appointmentSkipped, MetricUnit.Count, count);
  }
}
