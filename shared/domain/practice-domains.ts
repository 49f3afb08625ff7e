/**
 * The practice's own mail domains (the `practiceDomains` setting): a therapist first seen with an
 * address at one of them is registered in the directory (shared/use-cases/therapist-directory.ts).
 */

/** The value of `practiceDomains` that lists none. */
export const NO_PRACTICE_DOMAINS = 'none';

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The domains of a `practiceDomains` value (`none`, or a comma list), lower-cased; undefined for an invalid value. */
export function practiceDomainsOf(value: string): string[] | undefined {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === NO_PRACTICE_DOMAINS) return [];
  const domains = trimmed.split(',').map((domain) => domain.trim()).filter((domain) => domain !== '');
  if (domains.length === 0 || !domains.every((domain) => DOMAIN.test(domain))) return undefined;
  return [...new Set(domains)];
}

/**
 * Whether the address is at one of the practice's domains: its domain exactly, never a subdomain
 * or a look-alike (`practice.example.evil.test` is not `practice.example`).
 */
export function isAtPracticeDomain(email: string, domains: readonly string[]): boolean {
  const at = email.lastIndexOf('@');
  if (at < 1) return false;
  return domains.includes(email.slice(at + 1).trim().toLowerCase());
}
