/**
 * The keyed hash of a client's email address that the do-not-contact list stores:
 * HMAC-SHA256 of the address, trimmed and lower-cased, under the deployment's address key
 * (PRIVACY_SETTINGS.addressHashKey).
 *
 * Why keyed, and why the key is not in the table: a plain SHA-256 of an address can be reversed by
 * hashing a list of guessed addresses, and a key kept beside the list (in the table) would let any
 * reader of the table, a backup or an export do the same. The key is a setting the practice
 * generates once and keeps (docs/deploy.md, "Privacy"): it reaches only the request,
 * deliverability and alert (the client's pseudonym, client-pseudonym.ts) functions' environments and the administrator's `alliance erase` / `alliance clients allow`, not the table.
 */
import { createHmac } from 'node:crypto';
import type { AddressHasher } from '../use-cases/ports.ts';

/** The form an address is hashed in: `Ana@Example.org ` and `ana@example.org` are one address to the list. */
export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

export class HmacAddressHasher implements AddressHasher {
  constructor(private readonly key: string) {
    if (key.length < 32) throw new RangeError('the address hash key must be at least 32 characters');
  }

  async hash(address: string): Promise<string> {
    return createHmac('sha256', this.key).update(normaliseAddress(address), 'utf8').digest('hex');
  }
}
