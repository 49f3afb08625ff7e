/**
 * Instruments as data: the items a client answers, their range, reverse keys and an optional
 * cutoff. The form renders from this, the detector scores from this; detection never depends on
 * the wording. The default instrument's wording is the product's own (licence-free). A practice
 * holding a licence for another instrument (e.g. the SRS) can load its definition by config; its
 * text is never shipped here.
 */
import type { Locale } from '../events/contracts.ts';

/** The alliance component an item speaks to (Bordin 1979), or the overall impression. */
export type AllianceComponent = 'bond' | 'goals' | 'tasks' | 'overall';

export interface InstrumentItem {
  /** Form field name and key in stored answers. */
  id: string;
  component: AllianceComponent;
  /** Short name for alerts and charts ("Goals"). */
  shortLabel: Record<Locale, string>;
  /** The question as the client reads it. */
  question: Record<Locale, string>;
  /** What the lowest and highest values mean. */
  anchors: Record<Locale, { min: string; max: string }>;
  /** True when a high value means a worse alliance; scoring flips it. */
  reverseKeyed: boolean;
}

export interface Instrument {
  id: string;
  version: number;
  name: Record<Locale, string>;
  /** Every item shares one range: the form shows each value from min to max. */
  min: number;
  max: number;
  items: readonly InstrumentItem[];
  /** Optional instrument-specific concern level on the raw total (e.g. SRS < 36). */
  cutoff?: { totalBelow: number };
}

/** The default instrument's one scale: every item runs from "not at all" to "completely" (docs/clinicians.md). */
const SCALE_ANCHORS: InstrumentItem['anchors'] = { en: { min: 'Not at all', max: 'Completely' }, es: { min: 'Nada', max: 'Totalmente' } };

/** The product's own four-item check: one item per alliance component plus overall, 0–10. */
export const DEFAULT_INSTRUMENT: Instrument = {
  id: 'alliance-check-v1',
  version: 1,
  name: { en: 'Session check-in', es: 'Valoración de la sesión' },
  min: 0,
  max: 10,
  items: [
    {
      id: 'relationship',
      component: 'bond',
      shortLabel: { en: 'Relationship', es: 'Relación' },
      question: {
        en: 'In this session, I felt heard, understood and respected by my therapist.',
        es: 'En esta sesión me sentí escuchado/a, comprendido/a y respetado/a por mi terapeuta.',
      },
      anchors: SCALE_ANCHORS,
      reverseKeyed: false,
    },
    {
      id: 'goals',
      component: 'goals',
      shortLabel: { en: 'Goals', es: 'Objetivos' },
      question: {
        en: 'We worked on what I wanted to work on.',
        es: 'Trabajamos en lo que yo quería trabajar.',
      },
      anchors: SCALE_ANCHORS,
      reverseKeyed: false,
    },
    {
      id: 'approach',
      component: 'tasks',
      shortLabel: { en: 'Approach', es: 'Forma de trabajar' },
      question: {
        en: "The way we worked today suited me.",
        es: 'La forma de trabajar de hoy me resultó adecuada.',
      },
      anchors: SCALE_ANCHORS,
      reverseKeyed: false,
    },
    {
      id: 'overall',
      component: 'overall',
      shortLabel: { en: 'Overall', es: 'En general' },
      question: {
        en: 'Overall, today’s session was right for me.',
        es: 'En general, la sesión de hoy fue adecuada para mí.',
      },
      anchors: SCALE_ANCHORS,
      reverseKeyed: false,
    },
  ],
};

/** Scales a raw item value to POMP (percent of maximum possible), applying its reverse key. */
export function itemPomp(instrument: Instrument, item: InstrumentItem, value: number): number {
  const pomp = (100 * (value - instrument.min)) / (instrument.max - instrument.min);
  return item.reverseKeyed ? 100 - pomp : pomp;
}

/** Scales a complete set of answers to a total POMP score: the mean of the items' POMP values. */
export function totalPomp(instrument: Instrument, values: Record<string, number>): number {
  const scores = instrument.items.map((item) => {
    const value = values[item.id];
    if (value === undefined) throw new RangeError(`missing answer for item ${item.id}`);
    return itemPomp(instrument, item, value);
  });
  return scores.reduce((sum, score) => sum + score, 0) / scores.length;
}
