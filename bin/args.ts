/**
 * Option parsing on node:util's parseArgs, with its errors turned into usage errors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

/** Parses a subcommand's arguments strictly: unknown options are usage errors, not ignored. */
export function parseOptions<const T extends ParseArgsConfig['options']>(args: string[], options: T, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error));
  }
}

/** Reads a whole-number option within bounds. */
export function wholeNumber(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}
