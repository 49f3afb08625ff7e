/**
 * `alliance import` as a practice runs it (a subprocess): the messages and exit codes of a file or
 * a mapping it cannot use. None of these reach a bus: the file is refused before anything is sent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'alliance-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alliance(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/alliance.mjs'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe('alliance import', () => {
  it('refuses a file with bad rows, lists them by line, and exits 1 having sent nothing', () => {
    const path = file('bad.csv', 'appointmentId,clientId,therapistId,start,end,status\na-1,c-1,t-1,2026-03-02T14:00:00Z,2026-03-02T14:50:00Z,fulfilled\na-2,c-1,t-1,2026-03-02,2026-03-02T14:50:00Z,done\n');

    const { code, stdout, stderr } = alliance('import', path, '--no-progress');

    expect(code).toBe(1);
    expect(stdout).toContain('Refused: 2 rows read, 1 bad; nothing was sent.');
    expect(stdout).toMatch(/line 3: status is not a FHIR appointment status.*; start must be ISO-8601/);
    expect(stderr).toContain('alliance import: 1 bad row: nothing was sent');
  });

  it('names every problem of a mapping file', () => {
    const map = file('map.json', JSON.stringify({ statuses: { Show: 'done' }, dates: { format: 'MM/DD/YYYY h:mm A', timeZone: 'Eastern' } }));
    const { code, stderr } = alliance('import', file('any.csv', 'a\n'), '--map', map);
    expect(code).toBe(1);
    expect(stderr).toContain('statuses.Show: must be a FHIR appointment status');
    expect(stderr).toContain('dates.timeZone: must be an IANA time zone');
  });

  it('says which columns the header lacks', () => {
    const { code, stderr } = alliance('import', file('cols.csv', 'id,client\nx,y\n'));
    expect(code).toBe(1);
    expect(stderr).toContain('cols.csv: the header lacks "appointmentId"');
  });

  it('is listed in the help', () => {
    expect(alliance('--help').stdout).toContain('import <appointments.csv>');
    expect(alliance('import', '--help').stdout).toContain('--dry-run');
  });
});
