/**
 * Errors the CLI reports as one clear line and a non-zero exit code, without a stack trace.
 */

/** The command line itself is wrong (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The input cannot be used: a missing file, a bad header, a bad value (exit code 1). */
export class InputError extends Error {
  override name = 'InputError';
}
