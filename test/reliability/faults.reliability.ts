/**
 * Item 2, faults: 300 sessions through the whole loop while 20 % of SES calls and 5 % of DynamoDB
 * calls fail, plus sessions SES refuses for good; then the duplicate windows, each shown with
 * targeted faults.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ISSUE_FAULTS, runWindowScenarios } from './support/fault-scenarios.ts';
import { startReliabilityStack, type ReliabilityStack } from './support/harness.ts';
import { reportAll, runPipelineScenario } from './support/pipeline-scenario.ts';
import { report } from './support/report.ts';

const SEED = Number(process.env['ALLIANCE_FAULT_SEED'] ?? 20261125);
let harness: ReliabilityStack;

beforeAll(async () => {
  harness = await startReliabilityStack({ faults: ISSUE_FAULTS, seed: SEED });
});

afterAll(async () => {
  await harness?.stop();
});

it('sends every email and every due alert once under SES and DynamoDB faults, and dead-letters what SES refuses for good', async () => {
  const result = await runPipelineScenario(harness, {
    clients: 150,
    copies: 1,
    item: '2 faults',
    prefix: 'flt',
    retryUnavailable: true,
    poisoned: 3,
    progress: (line) => process.stdout.write(`  faults: ${line}\n`),
  });
  const stats = harness.faults.stats();
  report({
    item: '2 faults',
    check: `faults injected (seed ${SEED})`,
    figure: `SES ${harness.faults.count('ses')} of ${stats.calls['ses'] ?? 0} calls, DynamoDB ${harness.faults.count('dynamodb')} of ${stats.calls['dynamodb'] ?? 0}: ${harness.faults.describe()}`,
    pass: harness.faults.count('ses', 'throttle') > 0 && harness.faults.count('ses', 'transient') > 0 && harness.faults.count('dynamodb', 'throttle') > 0,
  });

  expect(reportAll(result)).toEqual([]);
});

it('shows each window where a failure after SES accepted can still send a second email', async () => {
  const figures = await runWindowScenarios(harness, { count: 3, item: '2 faults', prefix: 'win' });

  expect(figures.filter((figure) => !report(figure))).toEqual([]);
});
