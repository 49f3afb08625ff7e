/**
 * Reads a form post (`application/x-www-form-urlencoded`) against an instrument. Total: any body
 * gives either a complete answer or a list of field errors, each with its reason; it never throws.
 */
import type { Instrument } from '../instruments.ts';
import { COMMENT_MAX_LENGTH } from './i18n.ts';

/** The value a ticked `talk` box sends. */
export const TALK_VALUE = 'yes';

export type FieldErrorCode = 'missing' | 'not-a-choice' | 'repeated' | 'too-long' | 'invalid';

/** One field the client has to fix; `reason` is for logs and tests, pages word it per locale. */
export interface FieldError {
  field: string;
  code: FieldErrorCode;
  reason: string;
  /** The comment's length, for the too-long message. */
  length?: number;
}

/** What the client sent, kept to re-render the form after an error (only values the form can show). */
export interface FormValues {
  items: Record<string, string>;
  comment: string;
  talk: boolean;
}

/** A complete, valid answer. */
export interface FeedbackAnswer {
  items: Record<string, number>;
  talk: boolean;
  /** Absent when the client wrote nothing (or only spaces). */
  comment: string | undefined;
}

export type ParsedFeedbackForm = { ok: true; answer: FeedbackAnswer } | { ok: false; errors: readonly FieldError[]; values: FormValues };

/** The values an item accepts, as the radios send them. */
export function choices(instrument: Instrument): string[] {
  return Array.from({ length: instrument.max - instrument.min + 1 }, (_, index) => String(instrument.min + index));
}

/**
 * Normalises a comment as a browser counts it for `maxlength`: line breaks as one character,
 * no control characters other than line breaks and tabs, no surrounding white space.
 */
export function normaliseComment(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, '')
    .trim();
}

/** Parses a posted feedback form: every item answered with one of its choices, or field errors. */
export function parseFeedbackForm(body: string, instrument: Instrument): ParsedFeedbackForm {
  // URLSearchParams never throws: malformed percent-escapes become U+FFFD and are rejected below.
  const params = new URLSearchParams(body);
  const allowed = choices(instrument);
  const errors: FieldError[] = [];
  const values: FormValues = { items: {}, comment: '', talk: false };
  const items: Record<string, number> = {};

  for (const item of instrument.items) {
    const sent = params.getAll(item.id);
    const value = sent[0];
    if (sent.length > 1) {
      errors.push({ field: item.id, code: 'repeated', reason: `${item.id} was sent ${sent.length} times` });
    } else if (value === undefined || value === '') {
      errors.push({ field: item.id, code: 'missing', reason: `${item.id} is missing` });
    } else if (!allowed.includes(value)) {
      errors.push({ field: item.id, code: 'not-a-choice', reason: `${item.id} must be a whole number from ${instrument.min} to ${instrument.max}` });
    } else {
      items[item.id] = Number(value);
      values.items[item.id] = value;
    }
  }

  const comments = params.getAll('comment');
  const comment = normaliseComment(comments.join('\n'));
  values.comment = comment;
  if (comments.length > 1) {
    errors.push({ field: 'comment', code: 'repeated', reason: `comment was sent ${comments.length} times` });
  } else if (comment.length > COMMENT_MAX_LENGTH) {
    errors.push({ field: 'comment', code: 'too-long', reason: `comment is longer than ${COMMENT_MAX_LENGTH} characters`, length: comment.length });
  }

  const talk = params.getAll('talk');
  values.talk = talk.length === 1 && talk[0] === TALK_VALUE;
  // Only a forged post can send anything else; guessing what it meant could lose a request to talk.
  if (talk.length > 1 || (talk.length === 1 && talk[0] !== TALK_VALUE)) {
    errors.push({ field: 'talk', code: 'invalid', reason: `talk must be "${TALK_VALUE}" or absent` });
  }

  if (errors.length > 0) return { ok: false, errors, values };
  return { ok: true, answer: { items, talk: values.talk, comment: comment === '' ? undefined : comment } };
}
