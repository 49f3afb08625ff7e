/**
 * Item 3, bad input: 10,000 random or mutated SessionCompleted details and 10,000 random form posts
 * (fast-check; seeds printed, ALLIANCE_PROPERTY_SEED repeats a run).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFormPostProperty, runSessionCompletedProperty, seedRequestedSessions } from './support/bad-input.ts';
import { startReliabilityStack, type ReliabilityStack } from './support/harness.ts';
import { report } from './support/report.ts';

const SEED = Number(process.env['ALLIANCE_PROPERTY_SEED'] ?? 20261125);
let harness: ReliabilityStack;

beforeAll(async () => {
  harness = await startReliabilityStack();
});

afterAll(async () => {
  await harness?.stop();
});

it('turns every one of 10,000 random or mutated SessionCompleted details into an email, a recorded skip or a dead letter with a reason', async () => {
  const result = await runSessionCompletedProperty(harness, { count: 10_000, seed: SEED, item: '3 bad input', prefix: 'prop' });
  for (const figure of result.figures) report(figure);

  expect(result.problems.slice(0, 10)).toEqual([]);
});

it('answers every one of 10,000 random form posts with a page and no 5xx, and stores at most one answer per link', async () => {
  const tokens = await seedRequestedSessions(harness, 500, 'form');
  const result = await runFormPostProperty(harness, { count: 10_000, seed: SEED + 1, item: '3 bad input', prefix: 'form', tokens, concurrency: 32 });
  for (const figure of result.figures) report(figure);

  expect(result.problems.slice(0, 10)).toEqual([]);
});
