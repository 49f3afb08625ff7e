import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTRUMENT_ENV } from '../../shared/adapters/instrument-catalogue.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import { synthStack } from './synth.ts';

const LICENSED = { ...DEFAULT_INSTRUMENT, id: 'practice-licensed-v1', name: { en: 'Licensed', es: 'Con licencia' } };

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'instrument-')), 'instrument.json');
  writeFileSync(path, content);
  return path;
}

describe('a practice’s licensed instrument (context instrumentFile)', () => {
  it('reaches every function that makes links or reads answers, checked and compacted at synth', () => {
    const { stack, template } = synthStack({ context: { instrumentFile: file(JSON.stringify(LICENSED, null, 2)) } });

    for (const fn of [stack.functions.web, stack.functions.request, stack.functions.followUp, stack.functions.evaluate, stack.functions.alert]) {
      const resource = template.toJSON()['Resources'][stack.getLogicalId(fn.function.node.defaultChild as never)];
      expect(JSON.parse(resource.Properties.Environment.Variables[INSTRUMENT_ENV.json])).toMatchObject({ id: 'practice-licensed-v1' });
      expect(resource.Properties.Environment.Variables[INSTRUMENT_ENV.json]).not.toContain('\n');
    }
  });

  it('sets nothing without it', () => {
    const { stack, template } = synthStack();
    const resource = template.toJSON()['Resources'][stack.getLogicalId(stack.functions.web.function.node.defaultChild as never)];
    expect(resource.Properties.Environment.Variables).not.toHaveProperty(INSTRUMENT_ENV.json);
  });

  it('fails the synth on an invalid definition, naming the context key and the field', () => {
    expect(() => synthStack({ context: { instrumentFile: file(JSON.stringify({ ...LICENSED, max: 20 })) } })).toThrow(/context "instrumentFile".*not a valid instrument: max/);
  });

  it('fails the synth on a missing file', () => {
    expect(() => synthStack({ context: { instrumentFile: '/nonexistent/instrument.json' } })).toThrow(/context "instrumentFile".*cannot read/);
  });
});
