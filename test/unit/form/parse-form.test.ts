import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMENT_MAX_LENGTH } from '../../../shared/domain/form/i18n.ts';
import { normaliseComment, parseFeedbackForm } from '../../../shared/domain/form/parse-form.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const ITEM_IDS = DEFAULT_INSTRUMENT.items.map((item) => item.id);
const FIELDS = [...ITEM_IDS, 'comment', 'talk'];

function body(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const COMPLETE = { relationship: '8', goals: '7', approach: '0', overall: '10' };

describe('parseFeedbackForm', () => {
  it('reads a complete answer with a comment and the talk box ticked', () => {
    // Act
    const parsed = parseFeedbackForm(body({ ...COMPLETE, comment: '  Gracias.\r\nHasta pronto  ', talk: 'yes' }), DEFAULT_INSTRUMENT);

    // Assess
    expect(parsed).toEqual({
      ok: true,
      answer: { items: { relationship: 8, goals: 7, approach: 0, overall: 10 }, talk: true, comment: 'Gracias.\nHasta pronto' },
    });
  });

  it('treats an empty or blank comment and an unticked box as not given', () => {
    const parsed = parseFeedbackForm(body({ ...COMPLETE, comment: ' \r\n ' }), DEFAULT_INSTRUMENT);
    expect(parsed).toEqual({ ok: true, answer: { items: { relationship: 8, goals: 7, approach: 0, overall: 10 }, talk: false, comment: undefined } });
  });

  it('ignores fields the form does not have', () => {
    const parsed = parseFeedbackForm(`${body(COMPLETE)}&utm_source=x&submit=1`, DEFAULT_INSTRUMENT);
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ['a missing item', { goals: '7', approach: '0', overall: '10' }, 'relationship', 'missing'],
    ['an empty item', { ...COMPLETE, goals: '' }, 'goals', 'missing'],
    ['a value above the range', { ...COMPLETE, approach: '11' }, 'approach', 'not-a-choice'],
    ['a negative value', { ...COMPLETE, approach: '-1' }, 'approach', 'not-a-choice'],
    ['a fraction', { ...COMPLETE, overall: '7.5' }, 'overall', 'not-a-choice'],
    ['a padded number', { ...COMPLETE, overall: ' 7' }, 'overall', 'not-a-choice'],
    ['a leading zero', { ...COMPLETE, overall: '07' }, 'overall', 'not-a-choice'],
    ['a word', { ...COMPLETE, overall: 'ten' }, 'overall', 'not-a-choice'],
    ['a talk value other than yes', { ...COMPLETE, talk: 'true' }, 'talk', 'invalid'],
  ])('rejects %s and names the field', (_name, fields, field, code) => {
    const parsed = parseFeedbackForm(body(fields), DEFAULT_INSTRUMENT);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([expect.objectContaining({ field, code })]);
  });

  it('rejects an item sent twice rather than guessing which value was meant', () => {
    const parsed = parseFeedbackForm(`${body(COMPLETE)}&goals=3`, DEFAULT_INSTRUMENT);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors).toEqual([expect.objectContaining({ field: 'goals', code: 'repeated' })]);
  });

  it('accepts a comment of exactly the limit, counting a line break as one character', () => {
    const comment = `${'a'.repeat(COMMENT_MAX_LENGTH - 2)}\r\nb`;
    const parsed = parseFeedbackForm(body({ ...COMPLETE, comment }), DEFAULT_INSTRUMENT);
    expect(parsed.ok && parsed.answer.comment?.length).toBe(COMMENT_MAX_LENGTH);
  });

  it('rejects a comment over the limit and keeps its text and length for the page', () => {
    const comment = 'é'.repeat(COMMENT_MAX_LENGTH + 1);
    const parsed = parseFeedbackForm(body({ ...COMPLETE, comment }), DEFAULT_INSTRUMENT);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([expect.objectContaining({ field: 'comment', code: 'too-long', length: COMMENT_MAX_LENGTH + 1 })]);
    expect(parsed.values.comment).toBe(comment);
  });

  it('keeps the valid values of a rejected post so the client does not lose them', () => {
    const parsed = parseFeedbackForm(body({ relationship: '3', goals: '99', comment: 'hola', talk: 'yes' }), DEFAULT_INSTRUMENT);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.values).toEqual({ items: { relationship: '3' }, comment: 'hola', talk: true });
    expect(parsed.errors.map((error) => error.field)).toEqual(['goals', 'approach', 'overall']);
  });

  it('survives malformed percent-escapes', () => {
    const parsed = parseFeedbackForm('relationship=%E0%A4%A&goals=%&comment=%FF%FE', DEFAULT_INSTRUMENT);
    expect(parsed.ok).toBe(false);
  });
});

describe('parseFeedbackForm with random posts', () => {
  const value = fc.oneof(
    fc.integer({ min: -3, max: 14 }).map(String),
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('', 'yes', 'YES', '10', '0', ' 5', '5 ', '1e1', '0x5', '５', '-0', '+5'),
  );
  const name = fc.oneof(fc.constantFrom(...FIELDS, 'Goals', 'comment[]', ''), fc.string());
  const post = fc.array(fc.tuple(name, value), { maxLength: 12 });
  const raw = fc.oneof(
    post.map((pairs) => new URLSearchParams(pairs).toString()),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
  );

  it('never throws, and every rejection names a known field with a reason', () => {
    fc.assert(
      fc.property(raw, (text) => {
        const parsed = parseFeedbackForm(text, DEFAULT_INSTRUMENT);
        if (parsed.ok) return;
        expect(parsed.errors.length).toBeGreaterThan(0);
        for (const error of parsed.errors) {
          expect(FIELDS).toContain(error.field);
          expect(error.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts only complete answers: every item an integer in range, nothing else', () => {
    fc.assert(
      fc.property(raw, (text) => {
        const parsed = parseFeedbackForm(text, DEFAULT_INSTRUMENT);
        if (!parsed.ok) return;
        expect(Object.keys(parsed.answer.items).sort()).toEqual([...ITEM_IDS].sort());
        for (const rating of Object.values(parsed.answer.items)) {
          expect(Number.isInteger(rating) && rating >= 0 && rating <= 10).toBe(true);
        }
        expect((parsed.answer.comment ?? '').length).toBeLessThanOrEqual(COMMENT_MAX_LENGTH);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed complete answer', () => {
    const rating = fc.integer({ min: 0, max: 10 }).map(String);
    fc.assert(
      fc.property(fc.tuple(rating, rating, rating, rating), fc.string({ maxLength: 200 }), fc.boolean(), ([relationship, goals, approach, overall], comment, talk) => {
        const fields: Record<string, string> = { relationship, goals, approach, overall, comment };
        if (talk) fields['talk'] = 'yes';
        const parsed = parseFeedbackForm(body(fields), DEFAULT_INSTRUMENT);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.answer.talk).toBe(talk);
      }),
    );
  });
});

describe('normaliseComment', () => {
  it('drops control characters but keeps line breaks and tabs', () => {
    expect(normaliseComment('a\u0000b\u0007c\td\r\ne\u007f')).toBe('abc\td\ne');
  });
});
