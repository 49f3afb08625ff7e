/**
 * Pure rules that decide whether a completed session should be asked about.
 */

/** Limits on which sessions are asked about, from the practice's settings. */
export interface RequestPolicy {
  throttleHours: number;
  tokenExpiryHours: number;
  maxSessionAgeHours: number;
  maxSessionLeadMinutes: number;
}

/**
 * Why a session was not asked about. `erased`: the client was erased (nothing is stored about the
 * session either); `do-not-contact`: the address is on the do-not-contact list, kept from an
 * erased client who had opted out or whose address bounced.
 */
export type SkipReason = 'stale' | 'opted-out' | 'throttled' | 'undeliverable' | 'erased' | 'do-not-contact';

const HOUR_MS = 3_600_000;

/**
 * Sessions that ended too long ago (the client has moved on) or too far in the future (a clock or
 * data error at the EHR) are not asked about.
 */
export function isStale(endedAt: Date, now: Date, policy: RequestPolicy): boolean {
  const ageMs = now.getTime() - endedAt.getTime();
  return ageMs > policy.maxSessionAgeHours * HOUR_MS || -ageMs > (policy.maxSessionLeadMinutes / 60) * HOUR_MS;
}

/**
 * The open interval of session end times that are too close to a session the client was already
 * asked about: judged by when the sessions ended, not by when the events arrived, so a delayed or
 * replayed event cannot slip through.
 */
export function throttleWindow(endedAt: Date, policy: RequestPolicy): { after: string; before: string } {
  const windowMs = policy.throttleHours * HOUR_MS;
  return {
    after: new Date(endedAt.getTime() - windowMs).toISOString(),
    before: new Date(endedAt.getTime() + windowMs).toISOString(),
  };
}

/** When a link sent now stops working: counted from sending, not from the session's end. */
export function linkExpiry(sentAt: Date, policy: RequestPolicy): Date {
  return new Date(sentAt.getTime() + policy.tokenExpiryHours * HOUR_MS);
}
