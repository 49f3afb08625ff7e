/**
 * The local stand-in for a poller's EventBridge Scheduler schedule (the calendar feeds, FHIR):
 * invokes the same function the schedule invokes on AWS, as that function (IAM enforced), once
 * at start-up and then every N minutes, logging what each poll did. One poll at a time.
 */
import { asFunction } from './function-context.ts';
import type { LogLine } from './log.ts';

export interface LocalPollerOptions<Report> {
  /** The function the schedule invokes (FUNCTIONS.*.id). */
  functionId: string;
  handler: () => Promise<Report>;
  /** The console's source label. */
  logAs: string;
  /** The poll's console lines: ids and counts only. */
  describe: (report: Report) => string[];
  log: LogLine;
}

/** Minutes between local polls: the environment variable `name`, or the deployed default (15). */
export function localPollMinutes(env: NodeJS.ProcessEnv, name: string): number {
  const minutes = Number(env[name] ?? 15);
  return Number.isFinite(minutes) && minutes > 0 ? minutes : 15;
}

export class LocalPoller<Report> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Report> | undefined;
  private readonly invoke: () => Promise<Report>;

  constructor(private readonly options: LocalPollerOptions<Report>) {
    this.invoke = asFunction(options.functionId, options.handler);
  }

  /** Polls now (one poll at a time: a second call waits for the running one). Rejects when the poll failed, with its report on the error if it has one. */
  poll(): Promise<Report> {
    this.running ??= this.invoke().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Polls at once, then every `minutes`, logging each poll; failures are logged, not thrown. */
  start(minutes: number): void {
    const { logAs, describe, log } = this.options;
    const pollAndLog = () =>
      this.poll().then(
        (report) => describe(report).forEach((line) => log(logAs, line)),
        (error: unknown) => {
          // A failed poll's invocation fails; its report, when it has one, still says what happened.
          const report = (error as { report?: Report }).report;
          if (report) describe(report).forEach((line) => log(logAs, line));
          else log(logAs, `poll failed: ${error instanceof Error ? error.message : String(error)}`);
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
