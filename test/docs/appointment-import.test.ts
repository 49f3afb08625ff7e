/**
 * docs/integrate.md "Appointment CSV import": the example file and commands, run as printed (the
 * file's dates are long past, so the commands need no running stack: nothing is sent), and the
 * example mapping, checked and applied to a row in its layout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyAppointmentRow } from '../../shared/domain/appointments/appointment-row.ts';
import { parseAppointmentMapping } from '../../shared/domain/appointments/mapping.ts';
import { codeBlock, readDoc } from './markdown.ts';
import { ROOT } from './render.ts';

const doc = readDoc('docs/integrate.md');
const dir = mkdtempSync(join(tmpdir(), 'alliance-import-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/integrate.md, Appointment CSV import', () => {
  it('runs the example commands on the example file as the page says', () => {
    writeFileSync(join(dir, 'appointments.csv'), `${codeBlock(doc, 'Appointment CSV import', 'csv')}\n`);
    const script = codeBlock(doc, 'Appointment CSV import', 'sh');
    // `npx alliance` is this repository's CLI; the reader runs it in their clone.
    const npx = `npx() { [ "$1" = alliance ] && shift; node ${JSON.stringify(join(ROOT, 'bin/alliance.mjs'))} "$@" --no-progress; }\nset -e\n`;

    const output = execFileSync('bash', ['-c', npx + script], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });

    expect(output).toContain('line 2\ta-1001\tstale');
    expect(output).toContain('line 3\ta-1002\tcancelled');
    expect(output).toContain('line 4\ta-1003\tnoshow');
    expect(output).toContain('line 5\ta-1004\tnot-completed');
    expect(output).toContain('4 rows read (dry run: nothing sent).');
    expect(output).toMatch(/4 rows read\.\n\s+announced\s+0 session/);
  });

  it('shows a mapping the import accepts, which reads a row in its layout', () => {
    const mapping = parseAppointmentMapping(codeBlock(doc, 'Other layouts: a mapping file', 'json'));
    const row = { 'Appointment ID': '9001', 'Client ID': 'c-1042', Date: '12/01/2026', 'Start Time': '2:00 PM', 'End Time': '2:50 PM', Status: 'show' };

    expect(classifyAppointmentRow({ line: 2, fields: row }, mapping, new Date('2026-12-02T12:00:00Z'), { throttleHours: 0, tokenExpiryHours: 0, maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 })).toEqual({
      kind: 'completed',
      appointment: { sessionId: '9001', clientId: 'c-1042', therapistId: undefined, endedAt: '2026-12-01T19:50:00.000Z' },
    });
    expect(classifyAppointmentRow({ line: 2, fields: { ...row, Status: 'Late Canceled' } }, mapping, new Date('2026-12-02T12:00:00Z'), { throttleHours: 0, tokenExpiryHours: 0, maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 })).toMatchObject({ kind: 'cancelled' });
  });
});

describe('docs/integrate.md, Dropping files in S3', () => {
  it('names the keys the bucket and the function use', async () => {
    const { reportKeyFor } = await import('../../shared/adapters/s3-appointment-drop.ts');
    const { DROP_PREFIXES } = await import('../../infra/constructs/appointment-drop.ts');
    const script = codeBlock(doc, 'Dropping files in S3 (optional)', 'sh');
    const [upload, report] = [...script.matchAll(/s3:\/\/\$BUCKET\/([^"\s]+)/g)].map((match) => match[1]!);

    expect(upload!.startsWith(DROP_PREFIXES.incoming)).toBe(true);
    expect(upload!.endsWith('.csv')).toBe(true);
    expect(report).toBe(reportKeyFor(upload!));
    expect(doc).toContain('-c appointmentDropDays=');
  });
});
