import { describe, expect, it } from 'vitest';
import { clinicianComparison, costPerThousandSessions, idlePollingPerMonth, mixUsage, type SessionUsage } from '../../bench/cost/model.ts';
import { US_EAST_1 } from '../../bench/cost/prices.ts';
import { plusUsage } from '../../bench/cost/usage.ts';

const ONE_OF_EACH: SessionUsage = {
  invocations: [{ fn: 'request', count: 1, billedMs: 1000 }],
  memoryMb: 1024,
  dynamoDbWriteUnits: 1,
  dynamoDbReadUnits: 1,
  events: 1,
  queueMessages: 1,
  queueBatches: 1,
  emails: 1,
  httpRequests: 1,
  schedulerInvocations: 1,
  logBytes: 2 ** 30 / 1000,
  traces: 1,
};

function line(model: ReturnType<typeof costPerThousandSessions>, item: string): number {
  const found = model.lines.find((entry) => entry.item.startsWith(item));
  if (!found) throw new Error(`no line ${item}`);
  return found.usd;
}

describe('cost model', () => {
  it('prices 1,000 sessions of one unit of everything at the us-east-1 rates', () => {
    // Prepare / Act
    const model = costPerThousandSessions(ONE_OF_EACH, US_EAST_1);

    // Assess: 1,000 of each unit, at the published price per unit.
    expect(line(model, 'Lambda requests')).toBeCloseTo(0.0002, 10);
    expect(line(model, 'Lambda compute')).toBeCloseTo(1000 * 0.0000133334, 10);
    expect(line(model, 'DynamoDB write')).toBeCloseTo(0.000625, 10);
    expect(line(model, 'DynamoDB read')).toBeCloseTo(0.000125, 10);
    expect(line(model, 'EventBridge')).toBeCloseTo(0.001, 10);
    expect(line(model, 'SQS')).toBeCloseTo(3000 * 0.4e-6, 10);
    expect(line(model, 'SES')).toBeCloseTo(0.1, 10);
    expect(line(model, 'HTTP API')).toBeCloseTo(0.001, 10);
    expect(line(model, 'Scheduler')).toBeCloseTo(0.001, 10);
    expect(line(model, 'CloudWatch Logs')).toBeCloseTo(0.5, 10);
    expect(line(model, 'X-Ray')).toBeCloseTo(0.005, 10);
    expect(model.total).toBeCloseTo(model.lines.reduce((sum, entry) => sum + entry.usd, 0), 12);
  });

  it('weights session kinds by their shares', () => {
    const twice = plusUsage(ONE_OF_EACH, ONE_OF_EACH, 1);

    const mixed = costPerThousandSessions(mixUsage([{ share: 0.5, usage: ONE_OF_EACH }, { share: 0.5, usage: twice }]), US_EAST_1);

    expect(mixed.total).toBeCloseTo(1.5 * costPerThousandSessions(ONE_OF_EACH, US_EAST_1).total, 10);
  });

  it('refuses shares that do not add up to one', () => {
    expect(() => mixUsage([{ share: 0.5, usage: ONE_OF_EACH }])).toThrow(RangeError);
  });

  it('compares a clinician-month with the hosted price', () => {
    const comparison = clinicianComparison(0.3, 25, { low: 15, high: 20 });

    expect(comparison.sessionsPerMonth).toBeCloseTo(108.33, 2);
    expect(comparison.selfHostedPerMonth).toBeCloseTo(0.0325, 4);
    expect(comparison.timesCheaper).toBeCloseTo(15 / 0.0325, 0);
  });

  it('counts idle long polls per queue per month', () => {
    const polling = idlePollingPerMonth(1, US_EAST_1, 1);

    expect(polling.requests).toBeCloseTo((30.44 * 86_400) / 20, 6);
  });
});
