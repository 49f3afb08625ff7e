/**
 * The write that records an email as sent (a request's form token, an alert's acknowledge link) is
 * the one write that must not give up early: SES has already accepted the message, and when the
 * write fails the delivery is retried, takes the claim over once its lease has run out, and sends
 * the email again. So after the SDK's own retries, a
 * transient failure (throttling, 5xx, a dropped connection) gets a few more rounds, a few seconds
 * in all, well inside the function's timeout. A crash in between remains the one window left: SES
 * has no idempotency key.
 */

/** Pauses between the extra rounds (each round is itself the SDK's full set of attempts). */
export const AFTER_SEND_DELAYS_MS: readonly number[] = [250, 1_000, 3_000];

const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TooManyRequestsException', 'Throttling']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** True for failures another try may get past; a failed condition or a bad request never is. */
export function isTransientFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { $metadata, code, $retryable } = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string; $retryable?: unknown };
  return THROTTLING.has(error.name) || error.name === 'TimeoutError' || ($metadata?.httpStatusCode ?? 0) >= 500 || NETWORK.has(code ?? '') || $retryable !== undefined;
}

/** Runs `write`, and again after each delay while it fails transiently. */
export async function persistAfterSend<T>(write: () => Promise<T>, delaysMs: readonly number[] = AFTER_SEND_DELAYS_MS): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await write();
    } catch (error) {
      if (round >= delaysMs.length || !isTransientFailure(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delaysMs[round]));
    }
  }
}
