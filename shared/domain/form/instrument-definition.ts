/**
 * A practice's own instrument, loaded from configuration (JSON), checked before any client sees it.
 * The limits keep every form under the page budget (15 KB) and its scale on two rows at 320 px.
 */
import * as z from 'zod/mini';
import { describeIssues, IdSchema, ItemIdSchema } from '../../events/contracts.ts';
import { DEFAULT_INSTRUMENT, type Instrument } from '../instruments.ts';

/** Field names the form itself uses: an item must not take them. */
const RESERVED_FIELDS = ['comment', 'talk'];

/** The most items a form can show and still stay under the page budget in both languages. */
export const MAX_ITEMS = 5;
/** The most choices per item (0–10 is 11): two rows of radios on a 320 px screen. */
export const MAX_CHOICES = 11;

/**
 * The schema of a definition, built on first use: most practices use the built-in instrument, and
 * building these few dozen zod schemas would otherwise cost every function's cold start a few ms.
 */
function buildInstrumentSchema() {
  const Text = (max: number) =>
    z.string().check(z.trim(), z.minLength(1), z.maxLength(max), z.regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'must not contain control characters'));

  const localized = (max: number) => z.object({ en: Text(max), es: Text(max) });

  const ItemSchema = z.object({
    // Shorter than events allow: the id is repeated in every radio, and the page has a budget.
    id: ItemIdSchema.check(z.maxLength(16)),
    component: z.enum(['bond', 'goals', 'tasks', 'overall']),
    shortLabel: localized(40),
    question: localized(160),
    anchors: z.object({
      en: z.object({ min: Text(24), max: Text(24) }),
      es: z.object({ min: Text(24), max: Text(24) }),
    }),
    reverseKeyed: z._default(z.boolean(), false),
  });

  return z
    .object({
      id: IdSchema,
      version: z.int().check(z.gte(1)),
      name: localized(80),
      min: z.int().check(z.gte(-100), z.lte(100)),
      max: z.int().check(z.gte(-100), z.lte(100)),
      items: z.array(ItemSchema).check(z.minLength(1), z.maxLength(MAX_ITEMS)),
      cutoff: z.optional(z.object({ totalBelow: z.number() })),
    })
    .check(
      z.refine((value) => value.max > value.min && value.max - value.min + 1 <= MAX_CHOICES, {
        message: `max must be above min, with at most ${MAX_CHOICES} choices`,
        path: ['max'],
      }),
      z.refine((value) => new Set(value.items.map((item) => item.id)).size === value.items.length, {
        message: 'item ids must be unique',
        path: ['items'],
      }),
      // The page derives element ids from item ids (`goals`, `goals-hint`, `goals-error`): none may clash.
      z.refine((value) => value.items.every((item) => !RESERVED_FIELDS.some((field) => item.id === field || item.id.startsWith(`${field}-`)) && !/-(hint|error)$/.test(item.id)), {
        message: `item ids must not be ${RESERVED_FIELDS.join(' or ')}, start with them, or end in -hint or -error`,
        path: ['items'],
      }),
      z.refine((value) => value.id !== DEFAULT_INSTRUMENT.id, {
        message: `id must differ from the built-in ${DEFAULT_INSTRUMENT.id}`,
        path: ['id'],
      }),
    );
}

let instrumentSchema: ReturnType<typeof buildInstrumentSchema> | undefined;

export type InstrumentDefinitionResult = { ok: true; instrument: Instrument } | { ok: false; reason: string };

/** Parses and checks an instrument definition (JSON text), naming every problem by its field. */
export function parseInstrumentDefinition(json: string): InstrumentDefinitionResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  instrumentSchema ??= buildInstrumentSchema();
  const parsed = instrumentSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  return { ok: true, instrument: parsed.data };
}
