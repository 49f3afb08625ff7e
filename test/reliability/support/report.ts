/**
 * The figures a reliability run proves, one line each as it goes and a table at the end: what was
 * expected, what happened, PASS or FAIL. Test files run in their own processes; each figure is
 * appended to a results file (named by ALLIANCE_RELIABILITY_RESULTS, set by the run's global
 * setup), which the global teardown prints as the summary table.
 */
import { appendFileSync, readFileSync } from 'node:fs';

export const RESULTS_ENV = 'ALLIANCE_RELIABILITY_RESULTS';

export interface Figure {
  /** The issue's item: `1 duplicates`, `2 faults`, … */
  item: string;
  /** What was measured, short. */
  check: string;
  /** The numbers, e.g. `sent 2000 / expected 2000 / duplicated 0 / lost 0`. */
  figure: string;
  pass: boolean;
}

/** Prints the figure (one line) and keeps it for the summary table; returns `pass` for chaining into expect. */
export function report(figure: Figure): boolean {
  const line = `${figure.pass ? 'PASS' : 'FAIL'}  [${figure.item}] ${figure.check}: ${figure.figure}`;
  process.stdout.write(`${line}\n`);
  const file = process.env[RESULTS_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
  return figure.pass;
}

/** `sent / expected / duplicated / lost`, the issue's wording. */
export function sentLine(counts: { sent: number; expected: number; duplicated: number; lost: number }, extra = ''): string {
  return `sent ${counts.sent} / expected ${counts.expected} / duplicated ${counts.duplicated} / lost ${counts.lost}${extra ? ` (${extra})` : ''}`;
}

export function readFigures(file: string): Figure[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Figure);
}

/** The summary table: one row per figure, PASS/FAIL first, widths fitted to the content. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => [figure.pass ? 'PASS' : 'FAIL', figure.item, figure.check, figure.figure]);
  const header = ['result', 'item', 'check', 'figure'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  const failed = figures.filter((figure) => !figure.pass).length;
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
    failed === 0 ? `All ${figures.length} checks passed.` : `${failed} of ${figures.length} checks FAILED.`,
  ].join('\n');
}
