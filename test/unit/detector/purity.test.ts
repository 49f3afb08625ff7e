/**
 * The detector and backtest are pure domain code: no I/O, no clock, no randomness of their own,
 * and only zod/mini (the classic build costs every cold start).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const FOLDERS = ['shared/domain/detector', 'shared/domain/backtest'];
const sources = FOLDERS.flatMap((folder) =>
  readdirSync(join(ROOT, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ path: `${folder}/${name}`, text: readFileSync(join(ROOT, folder, name), 'utf8') })),
);

describe('pure domain code', () => {
  it.each(sources.map((source) => [source.path, source.text]))('%s has no I/O, clock, randomness or classic zod', (_, text) => {
    expect(text).not.toMatch(/from ['"]node:/);
    expect(text).not.toMatch(/from ['"]zod['"]/);
    expect(text).not.toMatch(/Date\.now\(|new Date\(\)|Math\.random\(|process\./);
  });
});
