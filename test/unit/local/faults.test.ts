import { expect, it } from 'vitest';
import { FaultInjector, parseFaultSpec, seededRandom, sendingQuota } from '../../../infra/local/faults.ts';

it('reads ALLIANCE_FAULTS as service:kind:rate pairs', () => {
  expect(parseFaultSpec('ses:throttle:0.2, dynamodb:throttle:0.05')).toEqual([
    { service: 'ses', kind: 'throttle', rate: 0.2 },
    { service: 'dynamodb', kind: 'throttle', rate: 0.05 },
  ]);
});

it('names the part of ALLIANCE_FAULTS it cannot read', () => {
  expect(() => parseFaultSpec('ses:throttle:0.2,s3:throttle:0.1')).toThrow(/"s3:throttle:0.1" is not service:kind:rate/);
  expect(() => parseFaultSpec('ses:throttle:2')).toThrow(/rate in "ses:throttle:2" must be a number from 0 to 1/);
});

it('fails the share of calls its rules add up to, each rule its own part', async () => {
  const injector = new FaultInjector(
    [
      { service: 'ses', kind: 'throttle', rate: 0.15 },
      { service: 'ses', kind: 'transient', rate: 0.05 },
    ],
    { random: seededRandom(7) },
  );
  const middlewares: ((next: unknown, context: unknown) => (args: unknown) => Promise<unknown>)[] = [];
  const stack = { add: () => undefined, addRelativeTo: (middleware: never) => middlewares.push(middleware), remove: () => true };
  injector.attach({ ses: { middlewareStack: stack }, dynamodb: { middlewareStack: stack }, eventbridge: { middlewareStack: stack }, sqs: { middlewareStack: stack }, scheduler: { middlewareStack: stack }, secretsmanager: { middlewareStack: stack } });
  const send = middlewares[0]!(async () => ({ response: { statusCode: 200 } }), { commandName: 'SendEmailCommand' });

  for (let call = 0; call < 10_000; call++) await send({ input: {} }).catch(() => undefined);

  expect(injector.count('ses') / 10_000).toBeCloseTo(0.2, 1);
  expect(injector.count('ses', 'throttle') / 10_000).toBeCloseTo(0.15, 1);
  expect(injector.count('ses', 'transient') / 10_000).toBeCloseTo(0.05, 1);
});

it('refuses the sends beyond the quota in any one-second window, as SES does, and lets them through once the window moves on', () => {
  let now = 0;
  const quota = sendingQuota(3, () => now);
  const call = { service: 'ses' as const, operation: 'SendEmail', input: {} };
  const refusedAt = (times: number[]) =>
    times.map((at) => {
      now = at;
      return quota.match!(call);
    });

  expect(refusedAt([0, 100, 200, 300, 999])).toEqual([false, false, false, true, true]);
  // At 1000 the send at 0 has left the window; at 1100 the one at 100 has too.
  expect(refusedAt([1000, 1050, 1100])).toEqual([false, true, false]);
  expect(quota.refused()).toBe(3);
  expect(quota).toMatchObject({ service: 'ses', kind: 'throttle', rate: 1, operations: ['SendEmail'] });
});
