/**
 * Use case: SES says an email bounced or was reported as spam. A client's address that bounces for
 * good (or whose owner complained) gets no further email; the practice's administrator is told.
 * Sending on to a dead or unwilling address would hurt the practice's sending reputation and, with
 * it, every other client's feedback email.
 */
import { readMailTags, SES_CONFIGURATION_SET_TAG } from '../domain/mail-tags.ts';
import { renderDeliveryNotice } from '../domain/templates/admin-notice.ts';
import { ClientEmailSuppressed, type SesDeliveryProblemDetail } from '../events/contracts.ts';
import type { AddressHasher, Clock, DeliverabilityStore, EventPublisher, Mailer } from './ports.ts';

export interface DeliverabilityDeps {
  store: DeliverabilityStore;
  /** Hashes an erased client's address for the do-not-contact list (the key erase uses). */
  addressHasher: AddressHasher;
  mailer: Mailer;
  publisher: EventPublisher;
  clock: Clock;
  practiceName: string;
  /** Where notices go; without it the block still happens and the event still says so. */
  adminEmail: string | undefined;
  /**
   * The configuration set this stack sends with. SES reports every email of the account on the same
   * default bus; an event from another set (another copy of the product, another application) is
   * not this stack's to act on, even when its tags look like ours. Undefined: no check (local stack).
   */
  configurationSetName?: string | undefined;
}

export type DeliverabilityOutcome = 'client-suppressed' | 'already-suppressed' | 'erased-client-address-listed' | 'therapist-bounce-reported' | 'transient' | 'untraceable' | 'other-configuration-set';

/** Handles one bounce or complaint reported by SES. */
export async function handleDeliveryProblem(detail: SesDeliveryProblemDetail, deps: DeliverabilityDeps): Promise<DeliverabilityOutcome> {
  if (deps.configurationSetName !== undefined && !detail.mail.tags?.[SES_CONFIGURATION_SET_TAG]?.includes(deps.configurationSetName)) return 'other-configuration-set';
  const reason = detail.eventType === 'Complaint' ? 'complaint' : 'bounce';
  // Transient bounces (mailbox full, greylisting) clear up by themselves; SES already retried.
  if (reason === 'bounce' && detail.bounce?.bounceType !== 'Permanent') return 'transient';
  const { purpose, clientId } = readMailTags(detail.mail.tags);
  if (clientId === undefined || purpose === undefined || purpose === 'notice') return 'untraceable';

  if (purpose === 'alert') {
    await notify(deps, { reason, recipient: 'therapist', clientId });
    return 'therapist-bounce-reported';
  }
  const now = deps.clock.now();
  const marked = await deps.store.markUndeliverable(clientId, reason, now);
  if (marked === 'erased') {
    // The last email before erasure bounced (or was reported) after it: the client's data is gone,
    // but the address must still never be mailed again — if the EHR sends it back under another
    // client id, the request function finds it on the list. Nothing is announced about an erased
    // client, and the administrator already knows they left.
    for (const address of recipientsOf(detail)) await deps.store.addDoNotContact(await deps.addressHasher.hash(address), { reason, recordedAt: now.toISOString() });
    return 'erased-client-address-listed';
  }
  if (marked === 'already-marked') return 'already-suppressed';
  await deps.publisher.publish(ClientEmailSuppressed, { clientId, reason, markedAt: now.toISOString() });
  await notify(deps, { reason, recipient: 'client', clientId });
  return 'client-suppressed';
}

async function notify(deps: DeliverabilityDeps, notice: { reason: 'bounce' | 'complaint'; recipient: 'client' | 'therapist'; clientId: string }): Promise<void> {
  if (deps.adminEmail === undefined) return;
  const email = renderDeliveryNotice({ practiceName: deps.practiceName, ...notice });
  // Tagged as a notice, so a bounce of the administrator's own address cannot loop back here.
  await deps.mailer.send({ to: deps.adminEmail, ...email, tags: { purpose: 'notice' } });
}

/** The addresses SES says bounced for good or complained (a message goes to one client address). */
function recipientsOf(detail: SesDeliveryProblemDetail): string[] {
  const recipients = detail.eventType === 'Complaint' ? detail.complaint?.complainedRecipients : detail.bounce?.bouncedRecipients;
  return (recipients ?? []).map((recipient) => recipient.emailAddress);
}
