/**
 * The local stand-in for the fhir function's schedule: with the FHIR stand-in running (`npm start`),
 * polls it once at start-up and then every FHIR_POLL_MINUTES (default 15, as deployed), by invoking
 * the same fhir function the schedule invokes on AWS, as that function (IAM enforced).
 */
import type { FhirPollResult } from '../../../shared/use-cases/poll-fhir-encounters.ts';
import { FUNCTIONS } from '../../routes.ts';
import { asFunction } from '../function-context.ts';
import type { LogLine } from '../log.ts';

export type FhirHandler = () => Promise<FhirPollResult | { status: 'not-configured' }>;

/** Minutes between local polls: FHIR_POLL_MINUTES, or the deployed default. */
export function localFhirPollMinutes(env: NodeJS.ProcessEnv): number {
  const minutes = Number(env['FHIR_POLL_MINUTES'] ?? 15);
  return Number.isFinite(minutes) && minutes > 0 ? minutes : 15;
}

/** One line for the console: session ids and counts only. */
export function describeFhirPoll(report: FhirPollResult | { status: 'not-configured' }): string {
  if (report.status === 'not-configured') return 'FHIR inbound is not configured: nothing polled';
  if (report.status === 'failed') return `FHIR source ${report.sourceId}: not polled (${report.failure}); the next poll covers the window`;
  const skipped = Object.entries(report.skipped).map(([reason, ids]) => `${ids.length} ${reason}`);
  return `FHIR source ${report.sourceId}: ${[`${report.announced.length} announced`, ...(report.alreadyAnnounced ? [`${report.alreadyAnnounced} already announced`] : []), ...skipped].join(', ')}`;
}

export class LocalFhirPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<FhirPollResult | { status: 'not-configured' }> | undefined;
  private readonly invoke: FhirHandler;

  constructor(
    handler: FhirHandler,
    private readonly log: LogLine,
  ) {
    this.invoke = asFunction(FUNCTIONS.fhir.id, handler);
  }

  /** Polls now (one poll at a time: a second call waits for the running one). Rejects when the poll failed, with its report on the error. */
  poll(): Promise<FhirPollResult | { status: 'not-configured' }> {
    this.running ??= this.invoke().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Polls at once, then every `minutes`, logging each poll; failures are logged, not thrown. */
  start(minutes: number): void {
    const pollAndLog = () =>
      this.poll().then(
        (report) => this.log('fhir', describeFhirPoll(report)),
        (error: unknown) => {
          const report = (error as { report?: FhirPollResult }).report;
          this.log('fhir', report ? describeFhirPoll(report) : `poll failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    void pollAndLog();
    this.timer = setInterval(pollAndLog, minutes * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
