/**
 * A small EventBridge event-pattern matcher for the local bus: exact values, `prefix`,
 * `anything-but` and `exists`, with EventBridge's array and missing-field semantics. Operators it
 * does not know are refused when the stack starts, so a contract using one fails loudly instead of
 * silently routing differently on a laptop than in AWS.
 */

/** The pattern uses something this matcher cannot evaluate faithfully. */
export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const OPERATORS = ['prefix', 'anything-but', 'exists'] as const;

/** Throws UnsupportedPatternError unless every leaf of the pattern is something `matches` understands. */
export function assertSupportedPattern(pattern: unknown, path = ''): void {
  if (!isPlainObject(pattern)) throw new UnsupportedPatternError(`${path || 'pattern'}: must be an object`);
  const entries = Object.entries(pattern);
  if (entries.length === 0) throw new UnsupportedPatternError(`${path || 'pattern'}: must not be empty`);
  for (const [key, value] of entries) {
    const here = path ? `${path}.${key}` : key;
    if (key.startsWith('$')) throw new UnsupportedPatternError(`${here}: ${key} is not supported by the local bus`);
    if (Array.isArray(value)) {
      // EventBridge rejects empty arrays; accepting one here would make the rule match nothing silently.
      if (value.length === 0) throw new UnsupportedPatternError(`${here}: must not be an empty array`);
      for (const leaf of value) assertSupportedLeaf(leaf, here);
    } else if (isPlainObject(value)) {
      assertSupportedPattern(value, here);
    } else {
      throw new UnsupportedPatternError(`${here}: must be an array of values or a nested pattern`);
    }
  }
}

function assertSupportedLeaf(leaf: unknown, path: string): void {
  if (leaf === null || ['string', 'number', 'boolean'].includes(typeof leaf)) return;
  if (!isPlainObject(leaf)) throw new UnsupportedPatternError(`${path}: ${JSON.stringify(leaf)} is not a supported value`);
  const keys = Object.keys(leaf);
  const operator = keys[0];
  if (keys.length !== 1 || !(OPERATORS as readonly string[]).includes(operator ?? '')) {
    throw new UnsupportedPatternError(`${path}: ${JSON.stringify(leaf)} is not supported by the local bus (it knows ${OPERATORS.join(', ')})`);
  }
  const operand = leaf[operator as string];
  if (operator === 'prefix' && typeof operand !== 'string') throw new UnsupportedPatternError(`${path}: prefix needs a string`);
  if (operator === 'exists' && typeof operand !== 'boolean') throw new UnsupportedPatternError(`${path}: exists needs true or false`);
  if (operator === 'anything-but') {
    const values = Array.isArray(operand) ? operand : [operand];
    for (const value of values) {
      const ok = typeof value === 'string' || typeof value === 'number' || (isPlainObject(value) && Object.keys(value).join() === 'prefix' && typeof value['prefix'] === 'string' && !Array.isArray(operand));
      if (!ok) throw new UnsupportedPatternError(`${path}: anything-but needs values or { prefix }`);
    }
  }
}

/** Whether an event (the full envelope: source, detail-type, detail, ...) matches the pattern. */
export function matchesPattern(pattern: object, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) return matchesField(expected, actual);
    // A nested pattern needs a nested object; a missing one only satisfies `exists: false` inside.
    if (isPlainObject(expected)) return matchesPattern(expected, isPlainObject(actual) ? actual : {});
    return false;
  });
}

function matchesField(alternatives: unknown[], actual: unknown): boolean {
  return alternatives.some((leaf) => {
    if (isPlainObject(leaf) && 'exists' in leaf) {
      // `exists` only looks at leaves: an object value counts as absent, as in EventBridge.
      const present = actual !== undefined && !isPlainObject(actual);
      return leaf['exists'] === present;
    }
    if (actual === undefined || isPlainObject(actual)) return false;
    // An array in the event matches when any of its elements does.
    const values = Array.isArray(actual) ? (actual as Json[]) : [actual as Json];
    return values.some((value) => matchesLeaf(leaf, value));
  });
}

function matchesLeaf(leaf: unknown, value: Json): boolean {
  if (!isPlainObject(leaf)) return leaf === value;
  if ('prefix' in leaf) return typeof value === 'string' && value.startsWith(leaf['prefix'] as string);
  if ('anything-but' in leaf) {
    const operand = leaf['anything-but'];
    if (isPlainObject(operand)) return typeof value === 'string' && !value.startsWith(operand['prefix'] as string);
    const excluded = Array.isArray(operand) ? operand : [operand];
    // Like EventBridge, anything-but compares within one type: a string never equals a number.
    return !excluded.some((entry) => entry === value);
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
