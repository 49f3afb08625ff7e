/**
 * Form tokens: 256 random bits in the link, only their SHA-256 in the table, so a leaked table
 * backup cannot answer anyone's form.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TokenFactory } from '../use-cases/ports.ts';

/** Shape of a token as it appears in a URL: 43 base64url characters. */
export const FORM_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const randomTokens: TokenFactory = {
  create() {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashToken(token) };
  },
};
