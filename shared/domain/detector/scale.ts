/**
 * Conversions from the detector's POMP units back to the instrument's own scale, for reasons,
 * emails and the instrument's raw-total cutoff.
 */
import type { Instrument, InstrumentItem } from '../instruments.ts';

/** The width of the raw-total range (40 for four 0–10 items). */
export function totalRange(instrument: Instrument): number {
  return instrument.items.length * (instrument.max - instrument.min);
}

/** Converts a total POMP score to the raw total on the instrument's scale (reverse keys applied). */
export function pompToTotal(instrument: Instrument, p: number): number {
  return instrument.items.length * instrument.min + (p / 100) * totalRange(instrument);
}

/** Converts a keyed item POMP value back to the answer the client gave (undoing a reverse key). */
export function pompToAnswer(instrument: Instrument, item: InstrumentItem, pomp: number): number {
  const asAnswered = item.reverseKeyed ? 100 - pomp : pomp;
  return instrument.min + (asAnswered / 100) * (instrument.max - instrument.min);
}
