/**
 * Use case: a session has ended, so (at most once) email the client a link to the feedback form.
 */
import { FeedbackRequested, type SessionCompletedDetail } from '../events/contracts.ts';
import { isStale, linkExpiry, throttleWindow, type RequestPolicy, type SkipReason } from '../domain/request-policy.ts';
import { sendClientEmail } from './client-email.ts';
import type { AddressHasher, Clock, EventPublisher, Mailer, OptOutLinkStore, SessionRecord, SessionStore, TokenFactory } from './ports.ts';

export interface RequestFeedbackDeps {
  store: SessionStore;
  /** The keyed hash the do-not-contact list is looked up by. */
  addresses: AddressHasher;
  mailer: Mailer;
  publisher: EventPublisher;
  clock: Clock;
  tokens: TokenFactory;
  /** Where the email's own opt-out link is kept (client-email.ts). */
  optOutLinks: OptOutLinkStore;
  policy: RequestPolicy;
  practiceName: string;
  /** The practice's IANA time zone: the client reads the link's end in it. */
  practiceTimeZone: string;
  formBaseUrl: string;
  /** The instrument new links use. */
  instrumentId: string;
  /**
   * How long a claim protects a session from a concurrent duplicate. Longer than one attempt can
   * take (the function timeout), shorter than the queue's visibility timeout, so that a retry after
   * a crash finds the claim expired and tries again.
   */
  claimLeaseSeconds: number;
}

export type RequestOutcome =
  | { outcome: 'requested'; expiresAt: string }
  | { outcome: 'skipped'; reason: SkipReason }
  | { outcome: 'duplicate'; status: string };

/** Turns a completed session into one feedback email, or records why it did not. */
export async function requestFeedback(detail: SessionCompletedDetail, deps: RequestFeedbackDeps): Promise<RequestOutcome> {
  const { store, clock, policy } = deps;
  const now = clock.now();
  const session = toSessionRecord(detail);

  if (isStale(new Date(session.endedAt), now, policy)) {
    // Nothing is stored about an erased client, not even a skipped session: the only write on this
    // path has no condition on the client's tombstone, so it is read (a rare path: stale sessions).
    if (await store.isClientErased(session.clientId)) return { outcome: 'skipped', reason: 'erased' };
    await store.recordSkipped(session, 'stale', now);
    return { outcome: 'skipped', reason: 'stale' };
  }

  // The link is planned before the claim, so the one write that claims the session also records it
  // as requested with this link; no write to the session follows the email.
  const { token, hash } = deps.tokens.create();
  const requestedAt = now.toISOString();
  const expiresAt = linkExpiry(now, policy).toISOString();
  const claim = await store.claimSession(session, { tokenHash: hash, requestedAt, expiresAt }, now, deps.claimLeaseSeconds);
  if (!claim.claimed) {
    // Already sent: announce it again. The first attempt may have failed to publish after its
    // token write, and its retry ends here; without this the session would never get its reminder
    // and expiry. The follow-up function creates each schedule once, so a repeat changes nothing.
    if (claim.request) await deps.publisher.publish(FeedbackRequested, { sessionId: session.sessionId, ...claim.request });
    return { outcome: 'duplicate', status: claim.status };
  }

  /**
   * The claim wrote the session with the client's details: an erased client's is taken back, so
   * nothing about them is stored again (no email, no announcement either).
   */
  const forgetErasedClaim = async (): Promise<RequestOutcome> => {
    await store.releaseClaim(session.sessionId, hash);
    return { outcome: 'skipped', reason: 'erased' };
  };

  const formToken = {
    sessionId: session.sessionId,
    clientId: session.clientId,
    therapistId: session.therapistId,
    locale: session.client.locale,
    instrumentId: deps.instrumentId,
    // The web pages and the evaluation take what they need from the token, not from the session.
    sessionEndedAt: session.endedAt,
  };
  let emailSent = false;
  try {
    const addressHash = await deps.addresses.hash(session.client.email);
    const reservation = await store.reserveClientRequest({
      clientId: session.clientId,
      sessionId: session.sessionId,
      endedAt: session.endedAt,
      window: throttleWindow(new Date(session.endedAt), policy),
      addressHash,
    });
    if (reservation.reserved === false && reservation.reason === 'erased') return await forgetErasedClaim();
    if (!reservation.reserved) {
      await store.recordSkipped(session, reservation.reason, now, hash);
      return { outcome: 'skipped', reason: reservation.reason };
    }
    // An address kept from an erased client who had opted out or bounced: the opt-out outlives the
    // erasure, whatever client id the EHR now sends the address under. Asked whenever the address
    // is new to this client id (its first request, or a changed address); an address this client id
    // was already sent to was asked about then. A listed address gives the slot back, so the skip
    // does not throttle the client's next session, and is asked about again next time.
    if (!reservation.addressKnown && (await store.isDoNotContact(addressHash))) {
      await store.releaseClientRequest(session.clientId, session.sessionId, reservation.previousSlot);
      await store.recordSkipped(session, 'do-not-contact', now, hash);
      return { outcome: 'skipped', reason: 'do-not-contact' };
    }

    await sendClientEmail({ purpose: 'feedback-request', clientId: session.clientId, client: session.client, token, expiresAt }, deps);
    emailSent = true;

    // From here on a failure must not release the claim: the email is out, and a retry that
    // re-claimed would send a second one. The token item is the record that it went out (until it
    // exists the link does not open, seconds at most); if this write is lost the claim stays until
    // its lease expires, and then a retry takes it over and sends again: the documented window.
    await store.saveSentFormToken({ tokenHash: hash, expiresAt, ...formToken });
    if (claim.earlier) {
      // Taken over from an attempt that died after (or while) sending: its email may be out, so its
      // link is made to work too. Best effort: the new email, already sent and recorded, is the one that counts.
      await store.saveSentFormToken({ ...claim.earlier, ...formToken }).catch(() => undefined);
    }
    await deps.publisher.publish(FeedbackRequested, {
      sessionId: session.sessionId,
      clientId: session.clientId,
      therapistId: session.therapistId,
      requestedAt,
      expiresAt,
    });
    return { outcome: 'requested', expiresAt };
  } catch (error) {
    if (!emailSent) await store.releaseClaim(session.sessionId, hash).catch(() => undefined);
    throw error;
  }
}

function toSessionRecord(detail: SessionCompletedDetail): SessionRecord {
  return {
    sessionId: detail.sessionId,
    clientId: detail.clientId,
    therapistId: detail.therapistId,
    endedAt: new Date(detail.endedAt).toISOString(),
    client: { email: detail.client.email, firstName: detail.client.firstName, locale: detail.client.locale },
    therapist: { email: detail.therapist.email, name: detail.therapist.name },
  };
}
