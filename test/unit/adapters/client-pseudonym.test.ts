import { describe, expect, it } from 'vitest';
import { clientPseudonym, PSEUDONYM_ALPHABET } from '../../../shared/adapters/client-pseudonym.ts';

const KEY = 'k'.repeat(32);

describe('client pseudonym', () => {
  it('is short, sayable and the same for a client every time', () => {
    const label = clientPseudonym(KEY, 'c-1042');
    expect(label).toMatch(new RegExp(`^[${PSEUDONYM_ALPHABET}]{3}-[${PSEUDONYM_ALPHABET}]{3}$`));
    expect(label).not.toMatch(/[01ILOUSZB]/);
    expect(clientPseudonym(KEY, 'c-1042')).toBe(label);
  });

  it('differs between clients and between keys, and never contains the id', () => {
    const labels = new Set(Array.from({ length: 2000 }, (_, index) => clientPseudonym(KEY, `c-${index}`)));
    expect(labels.size).toBe(2000);
    expect(clientPseudonym('j'.repeat(32), 'c-1042')).not.toBe(clientPseudonym(KEY, 'c-1042'));
    expect(clientPseudonym(KEY, '1042')).not.toContain('1042');
  });

  it('refuses a short key', () => {
    expect(() => clientPseudonym('short', 'c-1')).toThrow(RangeError);
  });
});
