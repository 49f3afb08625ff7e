/**
 * The client's pseudonym in alert subjects ("Client K7Q-3PF"): short, the same for a client in
 * every email, and not reversible without the deployment's key. It is an HMAC-SHA256 of the
 * client's id under PRIVACY_SETTINGS.addressHashKey (domain-separated from the do-not-contact
 * hashes, which use the same key), cut to six characters from an alphabet a therapist can read
 * aloud without ambiguity: digits 2–9 and letters without I, L, O, U, S, Z and B (no 0/O, 1/I/L,
 * 5/S, 2/Z, 8/B mix-ups). 27⁶ ≈ 387 million labels: two clients of one practice share one only by
 * rare chance, and the trend page and the email body still name the client by id.
 */
import { createHmac } from 'node:crypto';

export const PSEUDONYM_ALPHABET = '23456789ACDEFGHJKMNPQRTVWXY';
const DOMAIN = 'alliance-feedback client pseudonym v1\0';

/** "K7Q-3PF" for a client id under the key; the same inputs always give the same label. */
export function clientPseudonym(key: string, clientId: string): string {
  if (key.length < 32) throw new RangeError('the pseudonym key must be at least 32 characters');
  const digest = createHmac('sha256', key).update(DOMAIN + clientId, 'utf8').digest();
  let value = digest.readBigUInt64BE(0);
  const base = BigInt(PSEUDONYM_ALPHABET.length);
  let code = '';
  for (let index = 0; index < 6; index += 1) {
    code += PSEUDONYM_ALPHABET[Number(value % base)];
    value /= base;
  }
  return `${code.slice(0, 3)}-${code.slice(3)}`;
}
