/**
 * Item 1, duplicates: 1,000 sessions (500 clients, two sessions each) through the whole loop with
 * every event delivered three times and every link posted three times at once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReliabilityStack, type ReliabilityStack } from './support/harness.ts';
import { reportAll, runPipelineScenario } from './support/pipeline-scenario.ts';

let harness: ReliabilityStack;

beforeAll(async () => {
  harness = await startReliabilityStack();
});

afterAll(async () => {
  await harness?.stop();
});

it('sends one email per session, one alert per (session, kind) and stores one answer for 1,000 sessions delivered three times', async () => {
  const result = await runPipelineScenario(harness, {
    clients: 500,
    copies: 3,
    item: '1 duplicates',
    prefix: 'dup',
    progress: (line) => process.stdout.write(`  duplicates: ${line}\n`),
  });

  expect(reportAll(result)).toEqual([]);
});
