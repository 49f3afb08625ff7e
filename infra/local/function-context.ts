/**
 * Which function is running: the local stack loads every function into one process and the
 * functions share their SDK clients, so an SDK call is attributed to its function by the async
 * context of the invocation it belongs to (queue deliveries and web requests run inside one).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const running = new AsyncLocalStorage<string>();

/** Wraps a handler so that everything its invocations do, SDK calls included, runs as `functionId`. */
export function asFunction<Args extends unknown[], Result>(functionId: string, handler: (...args: Args) => Result): (...args: Args) => Result {
  return (...args) => running.run(functionId, () => handler(...args));
}

/** The function whose invocation this code runs in; undefined outside any (the CLI, a test's own clients). */
export function currentFunctionId(): string | undefined {
  return running.getStore();
}
