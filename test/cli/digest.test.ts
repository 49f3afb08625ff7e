/**
 * `alliance digest send`, run as a subprocess the way a practice runs it: its help, its usage
 * errors (before any connection), and what it says when the local stack is not running. Sending
 * against the local stack is test/integration/digest.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualDigestId } from '../../bin/digest.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alliance.mjs');

function alliance(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('alliance digest', () => {
  it('is listed in the help and explains itself', () => {
    expect(alliance('--help').stdout).toContain('digest send [--therapist ID]');
    const help = alliance('digest', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: alliance digest send [--therapist ID] [where]');
  });

  it('refuses a missing or unknown action, an unexpected argument and a malformed id, before connecting', () => {
    expect(alliance('digest')).toMatchObject({ code: 2, stderr: expect.stringContaining('say what to do: send') });
    expect(alliance('digest', 'now')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown action "now"') });
    expect(alliance('digest', 'send', 't-1')).toMatchObject({ code: 2, stderr: expect.stringContaining('unexpected argument "t-1"') });
    expect(alliance('digest', 'send', '--therapist', 'a b')).toMatchObject({ code: 2, stderr: expect.stringContaining('--therapist must be') });
  });

  it('says the local stack is not running instead of failing obscurely', () => {
    const result = alliance('digest', 'send', '--therapist', 't-1', '--endpoint', 'http://127.0.0.1:9', '--bus-endpoint', 'http://127.0.0.1:9');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot reach the local stack|is it running/);
  });

  it('gives each run its own once-only key', () => {
    expect(manualDigestId(new Date('2026-12-07T13:00:05.123Z'))).toBe('manual-20261207T130005123Z');
  });
});
