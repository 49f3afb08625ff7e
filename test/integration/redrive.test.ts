/**
 * `alliance redrive` on the local stack: an answer whose evaluation cannot be written (the table
 * refuses it) fails until the evaluate route gives up and parks it; once the table takes writes
 * again, the redrive puts it back on its queue and it is evaluated.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../shared/adapters/items/index.ts';
import { FaultInjector } from '../../infra/local/faults.ts';
import { FeedbackSubmitted } from '../../shared/events/contracts.ts';
import { runCli } from './support/cli.ts';
import { putAsProduct, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

// No faults until the answer is put.
const faults = new FaultInjector();
const local = useLocalStack({ retry: { baseDelayMs: 5, maxDelayMs: 20 }, schedulerIntervalMs: 3_600_000, faults });
/** Runs the CLI in this process (the local bus it talks to answers from here), capturing what it prints. */
const alliance = (...args: string[]) => runCli(local.stack, ...args);

const answer = {
  sessionId: 's-redrive-1',
  clientId: 'c-redrive',
  therapistId: 't-7',
  instrumentId: 'alliance-check-v1',
  items: { relationship: 9, goals: 9, approach: 8, overall: 9 },
  talk: false,
  hasComment: false,
  submittedAt: '2026-11-02T12:00:00Z',
};

describe('alliance redrive on the local stack', () => {
  beforeAll(async () => {
    // The answer is stored with its session, as the web function stores it before announcing it.
    const { sessionId, clientId, therapistId, instrumentId, items, talk, submittedAt } = answer;
    await local.table.send(
      new PutCommand({
        TableName: local.stack.tableName,
        Item: { ...keys.session(sessionId), type: 'Session', sessionId, clientId, therapistId, endedAt: '2026-11-02T11:00:00.000Z', answeredAt: submittedAt, answer: { instrumentId, items, talk } },
      }),
    );
    // Every write of its evaluation is refused, for good (a ValidationException: the SDK does not retry it).
    faults.setRules([{ service: 'dynamodb', kind: 'reject', rate: 1, operations: ['PutItem'], match: (call) => JSON.stringify(call.input).includes('"EVALUATION"') }]);
    await putAsProduct(local.stack, FeedbackSubmitted, answer);
    await waitFor(() => local.stack.deadLetters.length === 1, { timeoutMs: 20_000, description: 'the answer to be dead-lettered' });
    faults.setRules([]);
  }, 30_000);

  it('shows what is parked and why on a dry run, and moves nothing', async () => {
    const result = await alliance('redrive', '--all', '--dry-run');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/feedback-to-evaluate-dlq → feedback-to-evaluate: FeedbackSubmitted \w{8} \(failed too often\): failed 8 times .*ValidationException/);
    expect(result.stdout).toContain('Dry run: would move 1 message; moved nothing.');
    expect(local.stack.deadLetters).toHaveLength(1);
  });

  it('moves the parked answer back once the table takes its evaluation, and it is evaluated', async () => {
    const result = await alliance('redrive', '--queue', local.stack.queues.get('feedback-to-evaluate')!.deadLetterQueueUrl);
    await local.stack.waitForIdle();

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Moved 1 message back to its queue.');
    expect(local.stack.deadLetters).toHaveLength(0);
    const evaluation = await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.evaluation(answer.sessionId) }));
    expect(evaluation.Item).toMatchObject({ kind: 'answered', instrumentId: 'alliance-check-v1' });
  });

  it('has nothing left to move afterwards', async () => {
    expect((await alliance('redrive', '--all')).stdout).toContain('Moved 0 messages');
  });

  it('refuses to guess which queues to redrive', async () => {
    expect((await alliance('redrive')).code).toBe(2);
  });
});
