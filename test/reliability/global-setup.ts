/**
 * Gives the run one results file (each test file appends its figures) and prints the summary
 * table once every file is done; a FAIL in the table fails the run even if no assertion caught it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, readFigures, RESULTS_ENV } from './support/report.ts';

export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'alliance-reliability-'));
  const file = join(directory, 'figures.jsonl');
  // The test files run in forked workers, which inherit this environment.
  process.env[RESULTS_ENV] = file;
  const started = Date.now();
  return () => {
    const figures = readFigures(file);
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    process.stdout.write(`\nReliability summary (${minutes} min)\n\n${formatTable(figures)}\n\n`);
    if (figures.length === 0 || figures.some((figure) => !figure.pass)) process.exitCode = 1;
    rmSync(directory, { recursive: true, force: true });
  };
}
