import { expect, it } from 'vitest';
import { FaultInjector, parseFaultSpec, seededRandom } from '../../../infra/local/faults.ts';

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
  injector.attach({ ses: { middlewareStack: stack }, dynamodb: { middlewareStack: stack }, eventbridge: { middlewareStack: stack }, sqs: { middlewareStack: stack }, scheduler: { middlewareStack: stack } });
  const send = middlewares[0]!(async () => ({ response: { statusCode: 200 } }), { commandName: 'SendEmailCommand' });

  for (let call = 0; call < 10_000; call++) await send({ input: {} }).catch(() => undefined);

  expect(injector.count('ses') / 10_000).toBeCloseTo(0.2, 1);
  expect(injector.count('ses', 'throttle') / 10_000).toBeCloseTo(0.15, 1);
  expect(injector.count('ses', 'transient') / 10_000).toBeCloseTo(0.05, 1);
});
