import { describe, expect, it } from 'vitest';
import { MAX_ITEMS, parseInstrumentDefinition } from '../../../shared/domain/form/instrument-definition.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

/** A practice's own four-item instrument, shaped like a licensed one (placeholder wording). */
const LICENSED = {
  id: 'practice-licensed-v2',
  version: 2,
  name: { en: 'Session rating', es: 'Valoración' },
  min: 0,
  max: 10,
  cutoff: { totalBelow: 36 },
  items: DEFAULT_INSTRUMENT.items.map((item) => ({ ...item, id: `l-${item.id}` })),
};

function parse(value: unknown) {
  return parseInstrumentDefinition(JSON.stringify(value));
}

describe('parseInstrumentDefinition', () => {
  it('accepts a complete definition and defaults reverse keys to false', () => {
    const items = LICENSED.items.map(({ reverseKeyed: _dropped, ...item }) => item);
    const parsed = parse({ ...LICENSED, items });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.instrument.id).toBe('practice-licensed-v2');
      expect(parsed.instrument.items.every((item) => item.reverseKeyed === false)).toBe(true);
      expect(parsed.instrument.cutoff).toEqual({ totalBelow: 36 });
    }
  });

  it.each([
    ['text that is not JSON', '{', 'not valid JSON'],
    ['a missing Spanish question', { ...LICENSED, items: [{ ...LICENSED.items[0], question: { en: 'Q' } }] }, 'items.0.question.es'],
    ['a range of twelve choices', { ...LICENSED, max: 11 }, 'max'],
    ['a range that runs backwards', { ...LICENSED, min: 5, max: 1 }, 'max'],
    ['a fractional range', { ...LICENSED, max: 9.5 }, 'max'],
    ['no items', { ...LICENSED, items: [] }, 'items'],
    ['too many items for the page budget', { ...LICENSED, items: Array.from({ length: MAX_ITEMS + 1 }, (_, i) => ({ ...LICENSED.items[0], id: `i${i}` })) }, 'items'],
    ['two items with one id', { ...LICENSED, items: [LICENSED.items[0], LICENSED.items[0]] }, 'items'],
    ['an item named like the comment field', { ...LICENSED, items: [{ ...LICENSED.items[0], id: 'comment' }] }, 'items'],
    ['an item id that would clash with a hint id', { ...LICENSED, items: [{ ...LICENSED.items[0], id: 'goals-hint' }] }, 'items'],
    ['an item id with markup', { ...LICENSED, items: [{ ...LICENSED.items[0], id: 'a"><b' }] }, 'items.0.id'],
    ['the built-in id', { ...LICENSED, id: DEFAULT_INSTRUMENT.id }, 'id'],
    ['a question with a line break', { ...LICENSED, items: [{ ...LICENSED.items[0], question: { en: 'a\nb', es: 'b' } }] }, 'items.0.question.en'],
  ])('rejects %s and names where', (_name, value, where) => {
    const parsed = typeof value === 'string' ? parseInstrumentDefinition(value) : parse(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(where);
  });
});
