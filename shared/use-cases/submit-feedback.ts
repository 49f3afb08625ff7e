/**
 * Use cases behind the form link: show the form (reads only, because email scanners open every
 * link), record the client's one answer (first valid post wins), and show the thank-you page.
 * DynamoDB work per page: form 1 read unit (token + session, both eventually consistent), post half
 * a read unit and one write unit (token + one conditional write), thank-you page 1.5 read units
 * (token, and the session's answer state strongly consistent).
 */
import { FeedbackSubmitted, TimestampSchema, type Locale } from '../events/contracts.ts';
import type { Instrument } from '../domain/instruments.ts';
import { parseFeedbackForm, type FieldError, type FormValues } from '../domain/form/parse-form.ts';
import type { AnswerState, Clock, EventPublisher, FeedbackStore, FormLink, InstrumentCatalogue } from './ports.ts';

export interface FeedbackDeps {
  store: FeedbackStore;
  publisher: EventPublisher;
  clock: Clock;
  instruments: InstrumentCatalogue;
}

export type LinkClosed = { kind: 'not-found' } | { kind: 'answered'; locale: Locale } | { kind: 'expired'; locale: Locale };

export type FormView = LinkClosed | { kind: 'form'; locale: Locale; instrument: Instrument };

export type SubmitOutcome =
  | LinkClosed
  | { kind: 'invalid'; locale: Locale; instrument: Instrument; errors: readonly FieldError[]; values: FormValues }
  | { kind: 'submitted'; locale: Locale; sessionId: string; publishError?: unknown };

/** `not-answered`: the link has no stored answer (yet); its form page says what the client can do. */
export type ThanksView = { kind: 'not-found' } | { kind: 'not-answered' } | { kind: 'thanks'; locale: Locale };

/** Whether the token's own expiry has passed; a malformed expiry counts as passed: a link that cannot say when it ends takes no answer. */
function tokenExpired(link: FormLink, now: Date): boolean {
  return !(Date.parse(link.expiresAt) > now.getTime());
}

/**
 * Whether a link still takes an answer: a stored answer wins over expiry, so the client is told
 * their answer counted. Undefined when the session is gone (erased): the link leads nowhere.
 */
function linkState(link: FormLink, state: AnswerState | undefined, now: Date): 'open' | 'answered' | 'expired' | 'not-found' {
  if (!state) return 'not-found';
  if (state.answeredAt) return 'answered';
  if (state.expiredAt || tokenExpired(link, now)) return 'expired';
  return 'open';
}

function closed(state: 'answered' | 'expired' | 'not-found', link: FormLink): LinkClosed {
  return state === 'not-found' ? { kind: 'not-found' } : { kind: state, locale: link.locale };
}

function instrumentFor(link: FormLink, catalogue: InstrumentCatalogue): Instrument {
  return (link.instrumentId && catalogue.find(link.instrumentId)) || catalogue.active;
}

/** Shows the form for a link, or why it cannot be answered; never changes anything. */
export async function openForm(token: string, deps: FeedbackDeps): Promise<FormView> {
  const link = await deps.store.findLink(token);
  if (!link) return { kind: 'not-found' };
  // Eventually consistent (half a read unit): a session answered a moment ago may still show the
  // open form once more, which is harmless, because the post's conditional write is what decides
  // (it answers 409 "already answered"), not this page.
  const state = linkState(link, await deps.store.findAnswerState(link.sessionId, { consistent: false }), deps.clock.now());
  if (state !== 'open') return closed(state, link);
  return { kind: 'form', locale: link.locale, instrument: instrumentFor(link, deps.instruments) };
}

/**
 * Records a posted answer once and announces it as FeedbackSubmitted (without the comment text),
 * or says why not: closed link, or field errors to show with the client's values.
 *
 * The usual post reads only the token and writes the session once: the conditional write itself
 * tells an answered or expired session apart. Only the rare posts that will not write (a link past
 * its expiry, or fields with errors) read the session's state, consistently, so that they answer as
 * before: "already answered" wins over "expired" and over field errors.
 */
export async function submitFeedback(token: string, body: string, deps: FeedbackDeps): Promise<SubmitOutcome> {
  const link = await deps.store.findLink(token);
  if (!link) return { kind: 'not-found' };
  const now = deps.clock.now();
  const stateBeforeWrite = async () => linkState(link, await deps.store.findAnswerState(link.sessionId, { consistent: true }), now);
  if (tokenExpired(link, now)) {
    const state = await stateBeforeWrite();
    return closed(state === 'open' ? 'expired' : state, link);
  }

  // The instrument pinned on the token: the one whose form the client saw.
  const instrument = instrumentFor(link, deps.instruments);
  const parsed = parseFeedbackForm(body, instrument);
  if (!parsed.ok) {
    const state = await stateBeforeWrite();
    if (state !== 'open') return closed(state, link);
    return { kind: 'invalid', locale: link.locale, instrument, errors: parsed.errors, values: parsed.values };
  }

  const submittedAt = now.toISOString();
  const { items, talk, comment } = parsed.answer;
  const result = await deps.store.recordAnswer(link, { instrumentId: instrument.id, items, talk, comment, submittedAt }, now);
  if (!result.recorded) return closed(result.reason, link);

  try {
    await deps.publisher.publish(FeedbackSubmitted, {
      sessionId: link.sessionId,
      clientId: link.clientId,
      therapistId: link.therapistId,
      instrumentId: instrument.id,
      items,
      talk,
      hasComment: comment !== undefined,
      submittedAt,
      // Only a well-formed one: a bad stored value must not cost the announcement of a stored answer
      // (the evaluation reads the session when it is absent).
      ...(link.sessionEndedAt !== undefined && TimestampSchema.safeParse(link.sessionEndedAt).success ? { sessionEndedAt: link.sessionEndedAt } : {}),
    });
  } catch (publishError) {
    // The answer is stored and cannot be posted again, so failing the page would only confuse
    // the client; the caller logs the lost announcement with the session id for a replay.
    return { kind: 'submitted', locale: link.locale, sessionId: link.sessionId, publishError };
  }
  return { kind: 'submitted', locale: link.locale, sessionId: link.sessionId };
}

/**
 * The thank-you page after an answer: it thanks only when the session's answer is stored, so a
 * visitor who types the address before answering (or a link whose session was erased) is not told
 * their answers were sent. It shows nothing of the answer.
 */
export async function openThanks(token: string, deps: Pick<FeedbackDeps, 'store'>): Promise<ThanksView> {
  const link = await deps.store.findLink(token);
  if (!link) return { kind: 'not-found' };
  // The usual visit follows the answer's POST by milliseconds, so an eventually consistent read can
  // still miss it: only a read that says "not answered" is asked again, strongly (half the units
  // for everyone else).
  const state = (await answeredState(link.sessionId, { consistent: false }, deps)) ?? (await deps.store.findAnswerState(link.sessionId, { consistent: true }));
  if (!state) return { kind: 'not-found' };
  return state.answeredAt ? { kind: 'thanks', locale: link.locale } : { kind: 'not-answered' };
}

/** The session's answer state when that read already shows an answer; otherwise undefined. */
async function answeredState(sessionId: string, options: { consistent: boolean }, deps: Pick<FeedbackDeps, 'store'>) {
  const state = await deps.store.findAnswerState(sessionId, options);
  return state?.answeredAt ? state : undefined;
}
