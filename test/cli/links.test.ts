/** `alliance links revoke`: its usage errors, in-process (the local-stack round trip is test/integration/trend-page.test.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../bin/alliance.ts';

afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const stderr: string[] = [];
  const stdout: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
  const code = await main(args);
  return { code, stderr: stderr.join(''), stdout: stdout.join('') };
}

describe('alliance links', () => {
  it('shows its help', async () => {
    const result = await run('links', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: alliance links revoke <link-or-token>');
    expect(result.stdout).toContain('--region REGION');
  });

  it.each([
    [['links'], 'say what to do: revoke'],
    [['links', 'renew'], 'unknown action "renew"'],
    [['links', 'revoke'], 'a link (or its token), or --therapist, is required'],
    [['links', 'revoke', '--client', 'c-1'], '--client needs --therapist'],
    [['links', 'revoke', 'https://x.example/t/abc', '--therapist', 't-7'], 'give a link, or --therapist, not both'],
    [['links', 'revoke', '--therapist', 't 7'], '--therapist must be 1–128 characters'],
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
