/**
 * The import benchmark on a small scale, so its code cannot rot: 2,000 rows (and 200) against the
 * local stack, every completed row announced, the memory and rate measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImportBench } from '../../bench/import/import.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';

let stack: LocalStack;
const workDir = mkdtempSync(join(tmpdir(), 'alliance-import-bench-'));

beforeAll(async () => {
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, iam: false });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('appointment import benchmark', () => {
  it('announces every completed row of the synthetic export and measures rate and peak memory', async () => {
    const { small, large } = await runImportBench({ workDir, busEndpoint: stack.endpoints.bus, rows: 2_000 });

    expect(large.rows).toBe(2_000);
    expect(large.expected).toBeGreaterThan(1_500);
    expect(large.announced).toBe(large.expected);
    expect(large.errorCodes).toEqual([]);
    expect(large.unannounced).toBe(0);
    expect(small.rows).toBe(200);
    expect(small.announced).toBe(small.expected);
    expect(large.rowsPerSecond).toBeGreaterThan(0);
    expect(large.peakRssBytes).toBeGreaterThan(large.startRssBytes - 1);
  }, 120_000);
});
