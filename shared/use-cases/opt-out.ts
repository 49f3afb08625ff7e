/**
 * Use cases behind the opt-out link: a confirmation page (reads only, because email scanners open
 * every link) and the opt-out itself (a POST from that page or from a mail client's one-click
 * button, RFC 8058). The link keeps working after the form has expired.
 */
import { ClientUnsubscribed, type Locale } from '../events/contracts.ts';
import type { Clock, EventPublisher, OptOutStore } from './ports.ts';

export interface OptOutDeps {
  store: OptOutStore;
  publisher: EventPublisher;
  clock: Clock;
}

export type OptOutView = { kind: 'not-found' } | { kind: 'confirm'; locale: Locale };

export type OptOutOutcome = { kind: 'not-found' } | { kind: 'opted-out'; locale: Locale; clientId: string; first: boolean; publishError?: unknown };

/** Shows what opting out means and the button that does it; never changes anything. */
export async function openOptOut(token: string, deps: Pick<OptOutDeps, 'store'>): Promise<OptOutView> {
  const link = await deps.store.findOptOutLink(token);
  return link ? { kind: 'confirm', locale: link.locale } : { kind: 'not-found' };
}

/** Opts the token's client out of feedback emails; repeating it changes nothing and announces nothing. */
export async function optOut(token: string, deps: OptOutDeps): Promise<OptOutOutcome> {
  const link = await deps.store.findOptOutLink(token);
  if (!link) return { kind: 'not-found' };
  const { optedOutAt, first } = await deps.store.optOut(link.clientId, deps.clock.now());
  const outcome = { kind: 'opted-out', locale: link.locale, clientId: link.clientId, first } as const;
  if (!first) return outcome;
  try {
    await deps.publisher.publish(ClientUnsubscribed, { clientId: link.clientId, optedOutAt });
  } catch (publishError) {
    // The opt-out is stored, and it alone stops the emails; the event only informs others.
    return { ...outcome, publishError };
  }
  return outcome;
}
