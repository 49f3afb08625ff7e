/**
 * Bounded polling: wait for a condition, give up with a message that says what was awaited.
 * Used for start-up readiness and by the integration tests (never fixed sleeps).
 */

/** A condition did not become true in time. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being awaited, for the timeout message ("DynamoDB Local to answer"). */
  description?: string;
}

/**
 * Polls `probe` until it returns a value other than `false`/`undefined` and resolves with it.
 * An exception thrown by `probe` ends the wait at once (it means "this will never happen").
 */
export async function waitFor<T>(probe: () => Promise<T | false | undefined> | T | false | undefined, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== false && result !== undefined) return result;
    if (Date.now() >= deadline) throw new WaitTimeoutError(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
