/**
 * useLocalStack (test/integration/support/local-stack.ts), the one start and stop of the local
 * stack the integration tests share: what it starts, what it hands the file, and what it puts back
 * afterwards. The stack itself is a stand-in here (the integration tests run the real one).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../../infra/local/event-bus.ts';
import type { LocalStack, LocalStackOptions } from '../../../infra/local/stack.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { useLocalStack, type LocalStackHandle } from '../../integration/support/use-local-stack.ts';

const fake = vi.hoisted(() => {
  const started: LocalStackOptions[] = [];
  const stopped: string[] = [];
  const stack = { endpoints: { dynamodb: 'http://127.0.0.1:1', bus: 'http://127.0.0.1:2' }, region: 'us-east-1', stop: async () => void stopped.push(`stopped with ${process.env['ALLIANCE_USE_LOCAL_STACK_TEST']}`) };
  return { started, stopped, stack };
});

vi.mock('../../../infra/local/stack.ts', () => ({
  startLocalStack: vi.fn(async (options: LocalStackOptions) => {
    fake.started.push(options);
    return fake.stack;
  }),
}));

const SETTING = 'ALLIANCE_USE_LOCAL_STACK_TEST';
const UNSET = 'ALLIANCE_USE_LOCAL_STACK_TEST_UNSET';
const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const event = { 'detail-type': 'SessionCompleted', detail: { sessionId: 's-1' } } as unknown as EventEnvelope;
const seen = vi.fn();
const destroyed: string[] = [];
let handle: LocalStackHandle;

beforeAll(() => {
  process.env[SETTING] = 'before';
  delete process.env[UNSET];
});

afterAll(() => {
  delete process.env[SETTING];
});

it('refuses to hand out the stack before it started', () => {
  expect(() => handle.stack).toThrow('the local stack is not running');
  expect(() => handle.events).toThrow('the local stack is not running');
  expect(handle.published).toEqual([]);
  expect(fake.started).toEqual([]);
});

describe('a test file on the local stack', () => {
  handle = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, env: { [SETTING]: 'during', [UNSET]: 'during' }, onEvent: seen });

  it('starts one stack on free ports and quiet, with the file’s own options, and hands it out', () => {
    expect(fake.started).toHaveLength(1);
    expect(fake.started[0]).toMatchObject({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, clock, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    expect(fake.started[0]).not.toHaveProperty('env');
    expect(handle.stack).toBe(fake.stack as unknown as LocalStack);
  });

  it('gives the functions the env settings while the stack runs', () => {
    expect(process.env[SETTING]).toBe('during');
    expect(process.env[UNSET]).toBe('during');
  });

  it('collects every event the bus accepted, and still calls the file’s own onEvent', () => {
    fake.started[0]!.onEvent!(event, 'alliance-feedback');

    expect(handle.published).toEqual([event]);
    expect(seen).toHaveBeenCalledWith(event, 'alliance-feedback');
  });

  it('makes one events client and one table client, on the stack’s endpoints', async () => {
    const events = handle.events;
    const table = handle.table;
    expect(handle.events).toBe(events);
    expect(handle.table).toBe(table);
    expect(String((await events.config.endpoint!()).port)).toBe('2');
    vi.spyOn(events, 'destroy').mockImplementation(() => void destroyed.push('events'));
    vi.spyOn(table, 'destroy').mockImplementation(() => void destroyed.push('table'));
  });
});

it('destroys the clients, stops the stack and puts the environment back once the file is done with it', () => {
  expect(destroyed.sort()).toEqual(['events', 'table']);
  // Stopped once, before the environment was put back (the functions must not see it change while they run).
  expect(fake.stopped).toEqual(['stopped with during']);
  expect(process.env[SETTING]).toBe('before');
  expect(process.env[UNSET]).toBeUndefined();
});
