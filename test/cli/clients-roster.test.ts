/**
 * `alliance clients import|list|remove` as a subprocess, for what needs no table: the file is read
 * and checked whole before the table is reached, so a bad file is reported (and nothing applied)
 * even with no stack running. The import against a table: test/integration/client-roster.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alliance.mjs');
const HEADER = 'clientId,email,firstName,locale,therapistId';
/** Nothing listens here: a command that reached the table would fail with "cannot reach the local stack". */
const NOWHERE = ['--endpoint', 'http://127.0.0.1:1', '--bus-endpoint', 'http://127.0.0.1:1'];

function alliance(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-roster-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('alliance clients import', () => {
  it('reports every bad row by line and field, never the value, and imports nothing', () => {
    const path = file('bad.csv', `${HEADER}\nc-1,ana@client.example,Ana,es,t-1\nc-2,ben-at-home,Ben,en,t-1\nc-3,cleo@client.example,Cleo,Spanish please,\nc-1,dora@client.example,,,t-1\nc-5,eve@client.example\n`);

    const result = alliance('clients', 'import', path, ...NOWHERE);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `${path} line 3: email must be a valid email address`,
      `${path} line 4: therapistId is missing`,
      `${path} line 4: locale must be a language tag such as en, es or es-MX`,
      `${path} line 5: clientId is on line 2 already (one row per client)`,
      `${path} line 6: has 2 fields where the header has 5`,
      'alliance clients: nothing imported: 4 bad rows of 5 rows; fix them and import again',
    ]);
    expect(result.stderr).not.toMatch(/ben-at-home|Spanish|dora|eve@/);
  });

  it('shows its progress through a large file on stderr when asked, leaving stdout alone', () => {
    const rows = Array.from({ length: 3_000 }, (_, index) => `c-${index},client${index}@client.example,,en,t-1`);
    const path = file('large.csv', `${HEADER}\n${rows.join('\n')}\nc-x,,,,t-1\n`);

    const result = alliance('clients', 'import', path, '--progress', ...NOWHERE);

    expect(result.stderr).toMatch(/^clients import: reading: \d+ %\n[\s\S]*^clients import: reading: 100 %\n[\s\S]*large\.csv line 3002: email is missing/m);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  });

  it('refuses a header with an unknown column before anything else', () => {
    const result = alliance('clients', 'import', file('header.csv', 'clientId,email,therapistId,activ\nc-1,a@b.example,t-1,no\n'), ...NOWHERE);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/header\.csv line 1: bad header: unknown column "activ" \(the columns are clientId, email, firstName, locale, therapistId, active/);
  });

  it('reads a semicolon-separated UTF-16 export from a spreadsheet, and only then reaches for the table', () => {
    const text = `\ufeff${HEADER.replaceAll(',', ';')}\r\nc-1;ana@client.example;Ana;es;t-1\r\n`;
    const utf16 = Buffer.from(text, 'utf16le');

    const result = alliance('clients', 'import', file('excel.csv', utf16), ...NOWHERE);

    expect(result.stderr).toMatch(/cannot reach the local stack/);
    expect(result.code).toBe(1);
  });

  it('says which file is missing, and that the file is required', () => {
    expect(alliance('clients', 'import', join(dir, 'nowhere.csv')).stderr).toMatch(/nowhere\.csv: no such file/);
    const noFile = alliance('clients', 'import');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('a CSV file is required');
  });

  it('explains the columns, inactive clients and what happens to clients missing from a re-import in its help', () => {
    const result = alliance('clients', '--help');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: alliance clients import <clients.csv> [--dry-run] [--deactivate-missing]');
    expect(result.stdout).toContain(HEADER);
    expect(result.stdout).toMatch(/not in the file are kept as they are,\s+unless --deactivate-missing/);
    expect(result.stdout).toMatch(/Inactive clients stay on the roster, but their appointments send nothing/);
  });
});

describe('alliance clients list and remove', () => {
  it('needs a client id to remove, and refuses one that is not an id', () => {
    expect(alliance('clients', 'remove').stderr).toContain('a client id is required');
    expect(alliance('clients', 'remove', 'Ana Smith').code).toBe(2);
  });

  it('takes no arguments to list, and says when the table cannot be reached', () => {
    expect(alliance('clients', 'list', 'everyone').code).toBe(2);
    const unreachable = alliance('clients', 'list', ...NOWHERE);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the local stack/);
  });
});
