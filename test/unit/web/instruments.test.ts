import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInstruments } from '../../../shared/adapters/instrument-catalogue.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const LICENSED = { ...DEFAULT_INSTRUMENT, id: 'practice-licensed-v1', name: { en: 'Licensed', es: 'Con licencia' } };

describe('loadInstruments', () => {
  it('uses the built-in instrument when nothing is configured', () => {
    const catalogue = loadInstruments({});
    expect(catalogue.active).toBe(DEFAULT_INSTRUMENT);
    expect(catalogue.find(DEFAULT_INSTRUMENT.id)).toBe(DEFAULT_INSTRUMENT);
  });

  it('makes a configured instrument the active one and keeps the built-in one for older links', () => {
    const catalogue = loadInstruments({ INSTRUMENT_JSON: JSON.stringify(LICENSED) });
    expect(catalogue.active.id).toBe('practice-licensed-v1');
    expect(catalogue.find(DEFAULT_INSTRUMENT.id)).toBe(DEFAULT_INSTRUMENT);
    expect(catalogue.find('unknown')).toBeUndefined();
  });

  it('reads the definition from a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'instrument-')), 'licensed.json');
    writeFileSync(file, JSON.stringify(LICENSED));
    expect(loadInstruments({ INSTRUMENT_FILE: file }).active.id).toBe('practice-licensed-v1');
  });

  it.each([
    ['an invalid definition, naming the field', { INSTRUMENT_JSON: JSON.stringify({ ...LICENSED, max: 20 }) }, /INSTRUMENT_JSON is not a valid instrument: max:/],
    ['both variables', { INSTRUMENT_JSON: '{}', INSTRUMENT_FILE: '/x.json' }, /not both/],
    ['a missing file', { INSTRUMENT_FILE: '/nonexistent/instrument.json' }, /INSTRUMENT_FILE: cannot read/],
  ])('refuses %s at start-up', (_name, env, message) => {
    expect(() => loadInstruments(env)).toThrow(message);
  });
});
