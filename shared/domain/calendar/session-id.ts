/**
 * The session id of a calendar instance: the same (feed, event UID, recurrence instant) always gives
 * the same id, so a later poll, a moved instance or a re-read feed never makes a second session.
 * UIDs can be long and hold any character (`040000008200E00074C5B7101A82E008…`, `abc@google.com`),
 * the contract's ids cannot: the id carries the feed id and a hash of the rest.
 */
import { createHash } from 'node:crypto';

/** `ics.<feedId>.<32 hex digits>`: within the contract's IdSchema (feed ids are at most 40 characters). */
export function calendarSessionId(feedId: string, uid: string, recurrenceInstant: string): string {
  const digest = createHash('sha256').update(`${feedId}\n${uid}\n${recurrenceInstant}`).digest('hex');
  return `ics.${feedId}.${digest.slice(0, 32)}`;
}
