/**
 * The local stand-in for the fhir function's schedule: with the FHIR stand-in running (`npm start`),
 * polls it once at start-up and then every FHIR_POLL_MINUTES (default 15, as deployed), by invoking
 * the same fhir function the schedule invokes on AWS, as that function (IAM enforced).
 */
import type { FhirPollResult } from '../../../shared/use-cases/poll-fhir-encounters.ts';
import { FUNCTIONS } from '../../routes.ts';
import { LocalPoller, localPollMinutes } from '../local-poller.ts';
import type { LogLine } from '../log.ts';

export type FhirHandler = () => Promise<FhirPollResult | { status: 'not-configured' }>;

/** Minutes between local polls: FHIR_POLL_MINUTES, or the deployed default. */
export function fhirPollMinutes(env: NodeJS.ProcessEnv): number {
  return localPollMinutes(env, 'FHIR_POLL_MINUTES');
}

/** One line for the console: session ids and counts only. */
export function describeFhirPoll(report: FhirPollResult | { status: 'not-configured' }): string {
  if (report.status === 'not-configured') return 'FHIR inbound is not configured: nothing polled';
  if (report.status === 'failed') return `FHIR source ${report.sourceId}: not polled (${report.failure}); the next poll covers the window`;
  const skipped = Object.entries(report.skipped).map(([reason, ids]) => `${ids.length} ${reason}`);
  return `FHIR source ${report.sourceId}: ${[`${report.announced.length} announced`, ...(report.alreadyAnnounced ? [`${report.alreadyAnnounced} already announced`] : []), ...skipped].join(', ')}`;
}

/** The fhir function's schedule, locally. */
export class LocalFhirPoller extends LocalPoller<FhirPollResult | { status: 'not-configured' }> {
  constructor(handler: FhirHandler, log: LogLine) {
    super({ functionId: FUNCTIONS.fhir.id, handler, logAs: 'fhir', describe: (report) => [describeFhirPoll(report)], log });
  }
}
