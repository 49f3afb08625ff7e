/**
 * The weekly digest benchmark on a small scale, so its code cannot rot: 10 therapists × 30 clients
 * seeded, dispatched at their digest hour, every digest sent with one small query, under the size bar.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nextDigestHour, runDigestBench } from '../../bench/digest/digest.ts';
import { startBenchStack, type BenchStack } from '../../bench/local/bench-stack.ts';

let bench: BenchStack;

beforeAll(async () => {
  bench = await startBenchStack();
}, 60_000);

afterAll(async () => {
  await bench?.stop();
});

it('finds the next Monday 07:00 in the therapists’ zone', () => {
  expect(nextDigestHour(new Date('2026-12-06T18:30:00Z')).toISOString()).toBe('2026-12-07T13:00:00.000Z');
  expect(nextDigestHour(new Date('2026-12-07T13:00:00Z')).toISOString()).toBe('2026-12-14T13:00:00.000Z');
});

it('sends every therapist’s digest, each read with one small query, under Gmail’s clipping size', async () => {
  const result = await runDigestBench(bench, { therapists: 10, clientsPerTherapist: 30 });

  expect(result.digestsSent).toBe(10);
  expect(result.readUnits.count).toBe(10);
  expect(result.readUnits.max).toBeLessThanOrEqual(4);
  expect(result.htmlBytes.max).toBeGreaterThan(10 * 1024);
  expect(result.htmlBytes.max).toBeLessThan(100 * 1024);
}, 120_000);
