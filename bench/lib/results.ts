/**
 * What a benchmark reports: one row per number, with its target and whether it was met, printed as
 * a table and written to bench/results.local.json (untracked), or to the committed bench/results.json
 * when asked to record (`--record`). Rows without a target (context for the others) have
 * `target: '—'` and `pass: null`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { round } from './stats.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The target as a human reads it (`≤ 1.25×`), or `—` for a context row. */
  target: string;
  /** Whether the target was met; null for a context row. */
  pass: boolean | null;
}

export interface BenchReport {
  machine: string;
  startedAt: string;
  durationSeconds: number;
  results: BenchResult[];
  /** Lines that explain the numbers: breakdowns, bottlenecks, assumptions. */
  notes: string[];
}

/** A row with a target: `value` must be at most `limit`. */
export function atMost(name: string, value: number, unit: string, limit: number, limitText = `≤ ${limit}${unit === '×' ? '×' : ` ${unit}`}`): BenchResult {
  return { name, value: round(value, 3), unit, target: limitText, pass: Number.isFinite(value) && value <= limit };
}

/** A row without a target. */
export function info(name: string, value: number, unit: string): BenchResult {
  return { name, value: round(value, 3), unit, target: '—', pass: null };
}

/** A row whose target is a condition checked elsewhere (e.g. "same for both clients"). */
export function check(name: string, value: number, unit: string, target: string, pass: boolean): BenchResult {
  return { name, value: round(value, 3), unit, target, pass };
}

/** One line describing the machine the numbers came from (they mean little without it). */
export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() || 'unknown CPU';
  const [one, five] = loadavg();
  return [
    `${model} × ${cores.length} logical cores`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `${osType()} ${release()} ${process.arch}`,
    `Node ${process.version}`,
    `load average ${one?.toFixed(1)}/${five?.toFixed(1)} (1/5 min) at start`,
  ].join(', ');
}

/** The results as an aligned text table. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = results.map((result) => [
    result.name,
    formatValue(result.value),
    result.unit,
    result.target,
    result.pass === null ? '' : result.pass ? 'pass' : 'MISSED',
  ]);
  const header = ['benchmark', 'value', 'unit', 'target', 'result'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/**
 * Where a run's report goes, relative to the project: a plain run must leave a checkout as it found
 * it, so it writes an ignored file; only `--record` replaces the committed results, which the docs
 * quote (test/docs/render.ts reads them).
 */
export const RESULTS_FILES = { recorded: 'bench/results.json', local: 'bench/results.local.json' } as const;

export function resultsFile(projectRoot: string, record: boolean): { path: string; relative: string } {
  const relative = record ? RESULTS_FILES.recorded : RESULTS_FILES.local;
  return { path: join(projectRoot, relative), relative };
}

export function writeReport(path: string, report: BenchReport): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
