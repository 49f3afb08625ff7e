/**
 * The local burst and its floor on a small scale, so their code cannot rot: 20 sessions through the
 * bench stack (emails, answers, evaluations, alerts, all accounted for), then 20 sessions of the
 * bare AWS calls, whose emails must land in the SES emulator like the product's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBurst } from '../../bench/burst/burst.ts';
import { runFloor } from '../../bench/burst/floor.ts';
import { startBenchStack, type BenchStack } from '../../bench/local/bench-stack.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';

let bench: BenchStack;

beforeAll(async () => {
  bench = await startBenchStack();
}, 60_000);

afterAll(async () => {
  await bench?.stop();
});

async function storedRecipients(): Promise<string[]> {
  const store = (await (await fetch(bench.stack.endpoints.mailStore)).json()) as { emails: { destination: { to: string[] } }[] };
  return store.emails.flatMap((email) => email.destination.to);
}

describe('local burst benchmark', () => {
  it('times every email, evaluation and alert of a small burst, with nothing retried or lost', async () => {
    const result = await runBurst(bench, loadInstruments().active, { sessions: 20, putConcurrency: 2, postConcurrency: 4, alertEvery: 10, phaseTimeoutMs: 30_000 });

    expect(result.timedOut).toEqual([]);
    expect(result.emails.delivered).toBe(20);
    expect(result.emails.latency.count).toBe(20);
    expect(result.posts.statusCounts).toEqual({ 303: 20 });
    expect(result.evaluations.done).toBe(20);
    expect(result.alerts).toMatchObject({ expected: 2, delivered: 2 });
    expect(result.retries + result.deadLetters).toBe(0);
    expect(result.requestCpuMsPerSession.node).toBeGreaterThan(0);
  }, 90_000);

  it('makes the floor calls against the same stand-ins: every floor email reaches the emulator', async () => {
    const before = (await storedRecipients()).filter((to) => to.startsWith('floor-')).length;

    const floor = await runFloor(bench, { sessions: 20, batchesInFlight: 2 });

    expect(floor.emails.latency.count).toBe(20);
    expect((await storedRecipients()).filter((to) => to.startsWith('floor-')).length - before).toBe(20);
    expect(floor.cpuMsPerSession.node).toBeGreaterThan(0);
    // The DynamoDB Local JVM is found by its port on Linux, where CI runs.
    if (process.platform === 'linux') expect(floor.cpuMsPerSession.dynamodbLocal).toBeGreaterThan(0);
  }, 60_000);
});
