/**
 * The local stand-in for the weekly digest's hourly schedule: `npm start` invokes the same digest
 * dispatch function the schedule invokes on AWS, as that function (IAM enforced), at every full
 * hour of the stack's clock; tests call `dispatch()` after moving a ManualClock to the hour.
 */
import type { Clock } from '../../shared/use-cases/ports.ts';
import type { DispatchReport } from '../../shared/use-cases/send-digest.ts';
import { FUNCTIONS } from '../routes.ts';
import { asFunction } from './function-context.ts';
import type { LogLine } from './log.ts';

export type DigestDispatchHandler = () => Promise<DispatchReport>;

export class LocalDigestClock {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DispatchReport> | undefined;
  private lastHour: number | undefined;
  private readonly invoke: DigestDispatchHandler;

  constructor(
    handler: DigestDispatchHandler,
    private readonly clock: Clock,
    private readonly log: LogLine,
  ) {
    this.invoke = asFunction(FUNCTIONS.digestDispatch.id, handler);
  }

  /** Runs the dispatch now (one at a time). */
  dispatch(): Promise<DispatchReport> {
    this.running ??= this.invoke().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Dispatches at every full hour of the clock (checked each minute); failures are logged. */
  start(): void {
    this.lastHour = Math.floor(this.clock.now().getTime() / 3_600_000);
    this.timer = setInterval(() => {
      const hour = Math.floor(this.clock.now().getTime() / 3_600_000);
      if (hour === this.lastHour) return;
      this.lastHour = hour;
      this.dispatch().then(
        (report) => this.log('digest', `dispatch: ${report.due.length} digest(s) due of ${report.therapists} therapist(s)`),
        (error: unknown) => this.log('digest', `dispatch failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
