import { describe, expect, it } from 'vitest';
import { assertSupportedPattern, matchesPattern, UnsupportedPatternError } from '../../../infra/local/event-pattern.ts';
import { CONTRACTS, PRODUCT_SOURCE, SessionCompleted } from '../../../shared/events/contracts.ts';

const event = (overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'SessionCompleted',
  source: 'ehr.example',
  account: '000000000000',
  time: '2026-11-25T20:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { sessionId: 's-1', tags: ['a', 'b'], count: 3, empty: null, nested: { deep: 'x' } },
  ...overrides,
});

describe('matchesPattern', () => {
  it('matches an exact value in the list of alternatives', () => {
    expect(matchesPattern({ source: ['other', 'ehr.example'] }, event())).toBe(true);
  });

  it('does not match a value outside the list', () => {
    expect(matchesPattern({ source: ['other'] }, event())).toBe(false);
  });

  it('requires every field of the pattern to match', () => {
    expect(matchesPattern({ source: ['ehr.example'], 'detail-type': ['FeedbackRequested'] }, event())).toBe(false);
  });

  it('compares numbers, booleans and null by value and type', () => {
    expect(matchesPattern({ detail: { count: [3] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { count: ['3'] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { empty: [null] } }, event())).toBe(true);
  });

  it('matches an array in the event when any element matches', () => {
    expect(matchesPattern({ detail: { tags: ['b'] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { tags: ['c'] } }, event())).toBe(false);
  });

  it('matches nested fields of the detail', () => {
    expect(matchesPattern({ detail: { nested: { deep: ['x'] } } }, event())).toBe(true);
    expect(matchesPattern({ detail: { nested: { deep: ['y'] } } }, event())).toBe(false);
  });

  it('never matches a field the event does not have, except with exists: false', () => {
    expect(matchesPattern({ detail: { missing: ['x'] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ 'anything-but': 'x' }] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event())).toBe(true);
    expect(matchesPattern({ absent: { deeper: [{ exists: false }] } }, event())).toBe(true);
  });

  it('matches a prefix of a string only', () => {
    expect(matchesPattern({ source: [{ prefix: 'ehr.' }] }, event())).toBe(true);
    expect(matchesPattern({ source: [{ prefix: 'crm.' }] }, event())).toBe(false);
    expect(matchesPattern({ detail: { count: [{ prefix: '3' }] } }, event())).toBe(false);
  });

  it('matches anything but a single value, a list of values or a prefix', () => {
    expect(matchesPattern({ source: [{ 'anything-but': PRODUCT_SOURCE }] }, event())).toBe(true);
    expect(matchesPattern({ source: [{ 'anything-but': PRODUCT_SOURCE }] }, event({ source: PRODUCT_SOURCE }))).toBe(false);
    expect(matchesPattern({ source: [{ 'anything-but': ['a', 'ehr.example'] }] }, event())).toBe(false);
    expect(matchesPattern({ source: [{ 'anything-but': { prefix: 'ehr.' } }] }, event())).toBe(false);
    expect(matchesPattern({ source: [{ 'anything-but': { prefix: 'crm.' } }] }, event())).toBe(true);
  });

  it('treats exists as a test on leaves: an object counts as absent', () => {
    expect(matchesPattern({ detail: { sessionId: [{ exists: true }] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { sessionId: [{ exists: false }] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { nested: [{ exists: true }] } }, event())).toBe(false);
  });

  it('routes SessionCompleted from an integrator and refuses the product’s own source', () => {
    expect(matchesPattern(SessionCompleted.pattern, event())).toBe(true);
    expect(matchesPattern(SessionCompleted.pattern, event({ source: PRODUCT_SOURCE }))).toBe(false);
    expect(matchesPattern(SessionCompleted.pattern, event({ 'detail-type': 'SessionEnded' }))).toBe(false);
  });
});

describe('assertSupportedPattern', () => {
  it('accepts every contract’s pattern', () => {
    for (const contract of Object.values(CONTRACTS)) expect(() => assertSupportedPattern(contract.pattern)).not.toThrow();
  });

  it('refuses operators the local bus cannot evaluate', () => {
    expect(() => assertSupportedPattern({ detail: { n: [{ numeric: ['>', 1] }] } })).toThrow(UnsupportedPatternError);
    expect(() => assertSupportedPattern({ $or: [{ source: ['a'] }] })).toThrow(UnsupportedPatternError);
  });

  it('refuses empty alternatives and non-array leaves', () => {
    expect(() => assertSupportedPattern({ source: [] })).toThrow(/empty array/);
    expect(() => assertSupportedPattern({ source: 'a' })).toThrow(UnsupportedPatternError);
  });
});
