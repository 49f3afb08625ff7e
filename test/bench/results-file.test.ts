/**
 * `npm run bench` leaves a checkout clean: a plain run writes an ignored file, and only `--record`
 * replaces the committed bench/results.json that the docs quote.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RESULTS_FILES, resultsFile } from '../../bench/lib/results.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();

describe('where a bench run writes its results', () => {
  it('writes a plain run to a file git ignores', () => {
    const output = resultsFile(PROJECT_ROOT, false);

    expect(output.relative).toBe('bench/results.local.json');
    expect(output.path).toBe(`${PROJECT_ROOT}bench/results.local.json`);
    expect(git('check-ignore', output.relative)).toBe(output.relative);
  });

  it('writes to the committed results only when asked to record', () => {
    const output = resultsFile(PROJECT_ROOT, true);

    expect(output.relative).toBe(RESULTS_FILES.recorded);
    expect(git('ls-files', output.relative)).toBe('bench/results.json');
  });
});
