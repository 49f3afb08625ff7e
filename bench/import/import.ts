/**
 * The appointment import benchmark: `alliance import` of 100,000 rows against the local stack —
 * rows per second and peak memory — and the same import of a tenth of the rows, whose peak must be
 * about the same: the import streams both of its passes, so memory must not grow with the file.
 *
 * The sessions go to the local bus's `default` bus, which routes no SessionCompleted: the bus
 * takes every PutEvents as it would (IAM check, entry validation), but the request function does
 * not email 80,000 clients — that is the burst benchmark's measure, not the import's. The local
 * stack must run with `iam: false`: its IAM simulation lets the administrator put events on the
 * product bus only (every entry is still validated as PutEvents does).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeAppointmentFile } from './appointments.ts';

const CHILD = fileURLToPath(new URL('./import-child.ts', import.meta.url));
const run = promisify(execFile);

export interface ImportRun {
  rows: number;
  /** Rows that should have been announced (completed, ended, not stale), from the file's mix. */
  expected: number;
  announced: number;
  unannounced: number;
  /** The bus's error codes of the unannounced sessions. */
  errorCodes: string[];
  ms: number;
  rowsPerSecond: number;
  /** Peak resident memory of the import's process, and its resident memory before the import. */
  peakRssBytes: number;
  startRssBytes: number;
  peakHeapBytes: number;
}

export interface ImportBenchResult {
  small: ImportRun;
  large: ImportRun;
}

/**
 * The import process's V8 heap limit: an import whose memory grew with the file would run out of
 * it on the large file (V8 otherwise grows the heap lazily, so peak RSS alone says little).
 */
export const IMPORT_HEAP_LIMIT_MIB = 96;

async function importOnce(workDir: string, rows: number, busEndpoint: string): Promise<ImportRun> {
  const path = join(workDir, `appointments-${rows}.csv`);
  const { completed } = await writeAppointmentFile(path, rows, new Date(), `bench${rows}`);
  const { stdout } = await run(process.execPath, [`--max-old-space-size=${IMPORT_HEAP_LIMIT_MIB}`, '--import', 'tsx', CHILD, path, busEndpoint, 'default'], { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  const line = stdout.trim().split('\n').at(-1)!;
  const measured = JSON.parse(line) as { errorCodes: string[]; ms: number; rows: number; announced: number; unannounced: number; startRss: number; peakRss: number; peakHeap: number; maxRss: number };
  return {
    rows: measured.rows,
    expected: completed,
    announced: measured.announced,
    unannounced: measured.unannounced,
    errorCodes: measured.errorCodes,
    ms: measured.ms,
    rowsPerSecond: measured.rows / (measured.ms / 1000),
    peakRssBytes: Math.max(measured.peakRss, measured.maxRss),
    startRssBytes: measured.startRss,
    peakHeapBytes: measured.peakHeap,
  };
}

/** Imports `rows / 10` rows, then `rows` rows, each in a fresh process, against the bus at `busEndpoint`. */
export async function runImportBench(options: { workDir: string; busEndpoint: string; rows: number; log?: (line: string) => void }): Promise<ImportBenchResult> {
  const small = await importOnce(options.workDir, Math.max(1, Math.round(options.rows / 10)), options.busEndpoint);
  options.log?.(`import of ${small.rows} rows: ${Math.round(small.rowsPerSecond)} rows/s, peak ${Math.round(small.peakRssBytes / 2 ** 20)} MiB`);
  const large = await importOnce(options.workDir, options.rows, options.busEndpoint);
  options.log?.(`import of ${large.rows} rows: ${Math.round(large.rowsPerSecond)} rows/s, peak ${Math.round(large.peakRssBytes / 2 ** 20)} MiB`);
  return { small, large };
}
