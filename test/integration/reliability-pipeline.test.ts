/**
 * Issue 5's reliability runs, small (the big ones are `npm run test:reliability`), on one local
 * stack: every event delivered three times; SES and DynamoDB faults; random and mutated input
 * (fast-check); concurrent posts. Each prints its figures and PASS/FAIL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFormPostProperty, runSessionCompletedProperty, seedRequestedSessions } from '../reliability/support/bad-input.ts';
import { ISSUE_FAULTS, runWindowScenarios } from '../reliability/support/fault-scenarios.ts';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/support/harness.ts';
import { runLoad } from '../reliability/support/load.ts';
import { reportAll, runPipelineScenario } from '../reliability/support/pipeline-scenario.ts';
import { report } from '../reliability/support/report.ts';

let harness: ReliabilityStack;

beforeAll(async () => {
  harness = await startReliabilityStack({ seed: 5 });
});

afterAll(async () => {
  await harness?.stop();
});

describe('1 duplicates', () => {
  it('sends one email per session, one alert per (session, kind) and stores one answer when every event arrives three times', async () => {
    const result = await runPipelineScenario(harness, { clients: 25, copies: 3, item: '1 duplicates', prefix: 'dup' });

    expect(reportAll(result)).toEqual([]);
  }, 120_000);
});

describe('2 faults', () => {
  afterAll(() => harness.faults.setRules([]));

  it('sends every email and every due alert once under SES and DynamoDB faults, and dead-letters what SES refuses for good', async () => {
    harness.faults.setRules(ISSUE_FAULTS);
    const before = { ses: harness.faults.count('ses'), dynamodb: harness.faults.count('dynamodb') };

    const result = await runPipelineScenario(harness, { clients: 8, copies: 1, item: '2 faults', prefix: 'flt', retryUnavailable: true, poisoned: 1 });
    harness.faults.setRules([]);
    report({
      item: '2 faults',
      check: 'faults injected',
      figure: harness.faults.describe(),
      pass: harness.faults.count('ses') > before.ses && harness.faults.count('dynamodb') > before.dynamodb,
    });

    expect(reportAll(result)).toEqual([]);
    // A hang guard, not a speed target (9–10 s here as a rule). One fresh-clone CI run took past
    // 120 s (not reproduced in 10 runs since; likely the SDK's throttling backoff, SES up to 6
    // attempts seconds apart, stacking up on a loaded machine), and the next test then replaced
    // the fault rules under it, so the poisoned sessions were sent instead of dead-lettered.
  }, 300_000);

  it('shows each window where a failure after SES accepted can still send a second email', async () => {
    const figures = await runWindowScenarios(harness, { count: 2, item: '2 faults', prefix: 'win' });

    expect(figures.filter((figure) => !report(figure))).toEqual([]);
  }, 60_000);
});

describe('3 bad input', () => {
  it('turns every random or mutated SessionCompleted into an email, a recorded skip or a dead letter with a reason', async () => {
    const result = await runSessionCompletedProperty(harness, { count: 300, seed: 20261125, item: '3 bad input', prefix: 'prop' });
    for (const figure of result.figures) report(figure);

    expect(result.problems.slice(0, 10)).toEqual([]);
  }, 120_000);

  it('answers every random form post with a page and no 5xx, and stores at most one answer per link', async () => {
    const tokens = await seedRequestedSessions(harness, 30, 'form');
    const result = await runFormPostProperty(harness, { count: 300, seed: 20261126, item: '3 bad input', prefix: 'form', tokens });
    for (const figure of result.figures) report(figure);

    expect(result.problems.slice(0, 10)).toEqual([]);
  }, 120_000);
});

describe('7 load', () => {
  it('stores every answer once when many clients post at the same moment, and one per link when links are posted many times at once', async () => {
    const result = await runLoad(harness, { item: '7 load', prefix: 'load', distinct: 60, shared: { links: 6, repeat: 10 } });
    for (const figure of result.figures) report(figure);

    expect(result.problems).toEqual([]);
  }, 120_000);
});
