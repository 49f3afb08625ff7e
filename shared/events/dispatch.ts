/**
 * Turns queued EventBridge events into calls of the right use case: one place that reads the
 * detail-type, parses the detail with its contract, and parks anything that can never succeed.
 */
import type * as z from 'zod/mini';
import type { EventContract } from './contracts.ts';
import { parseEvent } from './parse-event.ts';

/** Handles one contract's parsed detail. */
export interface EventHandler<Schema extends z.ZodMiniType = z.ZodMiniType> {
  contract: EventContract<Schema>;
  handle: (detail: z.infer<Schema>) => Promise<void>;
}

/**
 * Thrown by a use case for an event that is valid by its contract but can never succeed (it names
 * an instrument the catalogue does not know): parked at once with the message as its reason, since
 * every retry would fail the same way. The message names ids and fields, never personal data.
 */
export class UnprocessableEventError extends Error {
  override name = 'UnprocessableEventError';
}

/** Pairs a contract with its handler, keeping the detail's type. */
export function on<Schema extends z.ZodMiniType>(contract: EventContract<Schema>, handle: (detail: z.infer<Schema>) => Promise<void>): EventHandler {
  return { contract, handle } as unknown as EventHandler;
}

/**
 * Returns a function that handles one message body. Invalid messages, and those a use case finds it
 * can never process (UnprocessableEventError), go to `reject` (the dead-letter queue with a reason)
 * instead of throwing: retrying them could never succeed. Other errors from the use cases
 * propagate, so the queue retries them.
 */
export function dispatchEvents(
  handlers: readonly EventHandler[],
  reject: (message: QueuedMessage, reason: string) => Promise<void>,
): (message: QueuedMessage) => Promise<void> {
  // A contract may stand for several detail-types (SES's bounce and complaint events).
  const byDetailType = new Map(handlers.flatMap((handler) => (handler.contract.pattern['detail-type'] ?? [handler.contract.detailType]).map((type) => [type, handler] as const)));
  return async (message) => {
    const handler = byDetailType.get(detailTypeOf(message.body) ?? '');
    if (!handler) {
      const expected = [...byDetailType.keys()].join(' or ');
      return reject(message, `not a ${expected} event`);
    }
    const parsed = parseEvent(message.body, handler.contract);
    if (!parsed.ok) return reject(message, parsed.reason);
    try {
      await handler.handle(parsed.detail);
    } catch (error) {
      if (!(error instanceof UnprocessableEventError)) throw error;
      return reject(message, error.message);
    }
  };
}

/** The parts of a queue message the dispatcher reads. */
export interface QueuedMessage {
  messageId: string;
  body: string;
}

function detailTypeOf(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as Record<string, unknown> | null)?.['detail-type'];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
