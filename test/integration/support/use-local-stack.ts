/**
 * One local stack per integration test file: `useLocalStack` registers the vitest hooks that start
 * and stop it. Kept apart from local-stack.ts, which the benchmarks and the reliability harness
 * import outside vitest.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import type { EventEnvelope } from '../../../infra/local/event-bus.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../../infra/local/stack.ts';
import { documentClient, eventBridgeClient } from './local-stack.ts';

/** What a test file reads of the local stack that `useLocalStack` runs for it. */
export interface LocalStackHandle {
  /** The running stack (read it inside a test or hook: it starts in `beforeAll`). */
  readonly stack: LocalStack;
  /** An EventBridge client of the stack's bus, made on first use and destroyed with the stack. */
  readonly events: EventBridgeClient;
  /** A DynamoDB document client of the stack's table, made on first use and destroyed with the stack. */
  readonly table: DynamoDBDocumentClient;
  /** Every event the bus accepted, in order (the same array for the whole file). */
  readonly published: EventEnvelope[];
}

export interface UseLocalStackOptions extends LocalStackOptions {
  /**
   * Environment variables the functions read when the stack loads them: set before it starts,
   * put back as they were after it stops.
   */
  env?: Record<string, string>;
  /** The start's time limit (vitest's hook timeout when not given). */
  timeoutMs?: number;
}

/**
 * Runs one local stack for the calling test file: registers the `beforeAll` that starts it (on
 * free ports, quiet, unless `options` say otherwise) and the `afterAll` that destroys the clients
 * and stops it. Call it at the top level of the file, before the file's own hooks that use it.
 */
export function useLocalStack(options: UseLocalStackOptions = {}): LocalStackHandle {
  const { env = {}, timeoutMs, onEvent, ...stackOptions } = options;
  const published: EventEnvelope[] = [];
  const previousEnv: Record<string, string | undefined> = {};
  let stack: LocalStack | undefined;
  let events: EventBridgeClient | undefined;
  let table: DynamoDBDocumentClient | undefined;
  const running = (): LocalStack => {
    if (stack === undefined) throw new Error('the local stack is not running: read it inside a test or a hook');
    return stack;
  };

  beforeAll(async () => {
    for (const [name, value] of Object.entries(env)) {
      previousEnv[name] = process.env[name];
      process.env[name] = value;
    }
    stack = await startLocalStack({
      ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 },
      quiet: true,
      ...stackOptions,
      onEvent: (event, bus) => {
        published.push(event);
        onEvent?.(event, bus);
      },
    });
  }, timeoutMs);

  afterAll(async () => {
    events?.destroy();
    table?.destroy();
    await stack?.stop();
    for (const [name, value] of Object.entries(previousEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  return {
    get stack() {
      return running();
    },
    get events() {
      return (events ??= eventBridgeClient(running()));
    },
    get table() {
      return (table ??= documentClient(running()));
    },
    published,
  };
}

