/**
 * A progress indicator on stderr — never stdout, which may be carrying JSON. On a terminal it is a
 * bar redrawn in place; when stderr is a file or a pipe (CI logs) it prints a line every 10 %.
 */

export type ProgressMode = 'bar' | 'lines' | 'off';

/** Files at least this large get a bar on a terminal without asking. */
export const BAR_FROM_BYTES = 5 * 1024 * 1024;
/** Files at least this large get progress lines in a log without asking. */
export const LINES_FROM_BYTES = 100 * 1024 * 1024;

/** Chooses how to show progress: `force` is --progress (true) or --no-progress (false). */
export function progressMode(bytes: number, isTty: boolean, force: boolean | undefined): ProgressMode {
  if (force === false) return 'off';
  if (force === true) return isTty ? 'bar' : 'lines';
  if (isTty && bytes >= BAR_FROM_BYTES) return 'bar';
  if (!isTty && bytes >= LINES_FROM_BYTES) return 'lines';
  return 'off';
}

/** Reports progress through `total` units of work (here: bytes, once per pass). */
export class Progress {
  private lastDraw = 0;
  private lastTenth = -1;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly mode: ProgressMode,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly label = 'backtest',
  ) {}

  /** Updates the indicator with work done and rows handled so far (both passes); redraws at most 10 times a second. */
  update(done: number, rows: number): void {
    if (this.mode === 'off') return;
    const share = this.total > 0 ? Math.min(1, done / this.total) : 1;
    if (this.mode === 'lines') {
      const tenth = Math.floor(share * 10);
      if (tenth > this.lastTenth) {
        this.lastTenth = tenth;
        this.out.write(`${this.label}: ${tenth * 10} %\n`);
      }
      return;
    }
    const now = performance.now();
    if (now - this.lastDraw < 100 && share < 1) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round(share * width);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)} %  ${rate.toLocaleString('en')} rows/s `);
  }

  /** Clears the bar so the next line starts clean. */
  finish(): void {
    if (this.mode === 'bar') this.out.write('\r\x1b[2K');
  }
}
