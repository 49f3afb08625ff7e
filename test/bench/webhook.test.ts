/**
 * The signed webhook benchmark on a small scale, so its code cannot rot: 20 signed deliveries
 * through the bench stack, each accepted and timed, and their replays answered 200.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBenchStack, type BenchStack } from '../../bench/local/bench-stack.ts';
import { runWebhookBench } from '../../bench/webhook/webhook.ts';

let bench: BenchStack;

beforeAll(async () => {
  bench = await startBenchStack();
}, 60_000);

afterAll(async () => {
  await bench?.stop();
});

it('times every signed delivery, accepts each once and answers its replay with 200', async () => {
  const result = await runWebhookBench(bench, { deliveries: 20 });

  expect(result.statusCounts).toEqual({ 202: 20 });
  expect(result.server.count).toBe(20);
  expect(result.server.p99).toBeGreaterThanOrEqual(result.server.p50);
  expect(result.replays.statusCounts).toEqual({ 200: 20 });
}, 90_000);
