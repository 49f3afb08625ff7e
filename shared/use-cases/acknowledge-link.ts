/**
 * The therapist's acknowledge link, with its life: it acknowledges only for `linkDays` after its
 * alert was sent, so an old alert email (forwarded, leaked, or found in an archive years later)
 * cannot speak for the therapist. The record itself stays until the retention setting deletes it,
 * and a link already used keeps saying when it was acknowledged.
 *
 * The acknowledgement itself (recorded once, announced through its outbox) is acknowledge-alert.ts's
 * acknowledgeAlert; this module only decides whether the link may still ask for it. An
 * acknowledgement made in time whose announcement is still owed is announced even after expiry. Checked in code from `sentAt`, so a changed setting applies to
 * every link at once.
 */
import { acknowledgeAlert, type AcknowledgeDeps, type AcknowledgeOutcome } from './acknowledge-alert.ts';
import type { AlertLink } from './ports.ts';

export interface AcknowledgeLinkDeps extends AcknowledgeDeps {
  /** Days a link acknowledges after its alert was sent (ALERT_SETTINGS.acknowledgeLinkDays). */
  linkDays: number;
}

export type AcknowledgeLinkView =
  | { kind: 'not-found' }
  | { kind: 'expired' }
  | { kind: 'acknowledged'; link: AlertLink; acknowledgedAt: string }
  | { kind: 'open'; link: AlertLink };

export type AcknowledgeLinkOutcome = AcknowledgeOutcome | { outcome: 'expired' };

const DAY_MS = 86_400_000;

/** Whether the link has outlived its days; a link that cannot say when it was sent counts as expired. */
export function acknowledgeLinkExpired(link: Pick<AlertLink, 'sentAt'>, now: Date, linkDays: number): boolean {
  const sentAt = Date.parse(link.sentAt);
  return !(sentAt + linkDays * DAY_MS > now.getTime());
}

/** The GET page: the prompt, the acknowledgement already made (which wins over expiry), or why not; never changes anything. */
export async function openAcknowledgeLink(token: string, deps: Pick<AcknowledgeLinkDeps, 'store' | 'clock' | 'linkDays'>): Promise<AcknowledgeLinkView> {
  const link = await deps.store.findAlertLink(token);
  if (!link) return { kind: 'not-found' };
  if (link.acknowledgedAt && link.announcedAt) return { kind: 'acknowledged', link, acknowledgedAt: link.acknowledgedAt };
  // Acknowledged but not yet announced (its publish failed): the button again, whose POST announces it.
  if (link.acknowledgedAt) return { kind: 'open', link };
  if (acknowledgeLinkExpired(link, deps.clock.now(), deps.linkDays)) return { kind: 'expired' };
  return { kind: 'open', link };
}

/**
 * The POST: acknowledges through acknowledgeAlert while the link lives. An expired link writes and
 * announces nothing; one acknowledged in time still answers with that acknowledgement.
 */
export async function acknowledgeLink(token: string, deps: AcknowledgeLinkDeps): Promise<AcknowledgeLinkOutcome> {
  const link = await deps.store.findAlertLink(token);
  if (!link) return { outcome: 'not-found' };
  // Acknowledged in time: nothing new is recorded, and an announcement still owed goes out.
  if (acknowledgeLinkExpired(link, deps.clock.now(), deps.linkDays) && !link.acknowledgedAt) return { outcome: 'expired' };
  return acknowledgeAlert(token, deps);
}
