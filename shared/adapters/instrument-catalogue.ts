/**
 * The instruments the functions know: the built-in one, plus (optionally) a practice's licensed
 * instrument from configuration, which then becomes the one new forms use. Read once per
 * container; an invalid definition stops the function at start-up with every problem named.
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../config.ts';
import { parseInstrumentDefinition } from '../domain/form/instrument-definition.ts';
import { DEFAULT_INSTRUMENT, type Instrument } from '../domain/instruments.ts';
import type { InstrumentCatalogue } from '../use-cases/ports.ts';

/** Environment variables that configure a practice's own instrument (set at most one). */
export const INSTRUMENT_ENV = {
  /** The instrument definition as JSON (Lambda allows 4 KB of environment in total). */
  json: 'INSTRUMENT_JSON',
  /** Path of a JSON file with the definition, for definitions too long for the environment. */
  file: 'INSTRUMENT_FILE',
} as const;

/** Builds the catalogue from the environment. */
export function loadInstruments(env: NodeJS.ProcessEnv = process.env): InstrumentCatalogue {
  const json = env[INSTRUMENT_ENV.json] || undefined;
  const file = env[INSTRUMENT_ENV.file] || undefined;
  if (json && file) throw new ConfigurationError(`Set ${INSTRUMENT_ENV.json} or ${INSTRUMENT_ENV.file}, not both`);

  let source: { text: string; from: string } | undefined;
  if (json) source = { text: json, from: INSTRUMENT_ENV.json };
  if (file) {
    try {
      source = { text: readFileSync(file, 'utf8'), from: `${INSTRUMENT_ENV.file} (${file})` };
    } catch (error) {
      throw new ConfigurationError(`${INSTRUMENT_ENV.file}: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (!source) return catalogue([DEFAULT_INSTRUMENT], DEFAULT_INSTRUMENT);

  const parsed = parseInstrumentDefinition(source.text);
  if (!parsed.ok) throw new ConfigurationError(`${source.from} is not a valid instrument: ${parsed.reason}`);
  return catalogue([DEFAULT_INSTRUMENT, parsed.instrument], parsed.instrument);
}

function catalogue(instruments: readonly Instrument[], active: Instrument): InstrumentCatalogue {
  const byId = new Map(instruments.map((instrument) => [instrument.id, instrument]));
  return { active, find: (id) => byId.get(id) };
}
