/**
 * `alliance webhook-secret`: what it refuses before it touches any store, and `generate`, which
 * stores nothing. (create/rotate/retire-previous against the local stack: test/integration/webhook.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../bin/errors.ts';
import { webhookSecretCommand } from '../../bin/webhook-secret.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line), now: () => new Date('2026-12-06T10:00:00Z') } };
}

describe('alliance webhook-secret', () => {
  it('generate prints one new whsec_ secret on stdout and stores nothing', async () => {
    const { out, err, io: streams } = io();

    await webhookSecretCommand(['generate'], streams);

    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(err.join('\n')).toContain('Not stored');
  });

  it('refuses AWS without --secret-id, an unknown action and a window over 90 days', async () => {
    await expect(webhookSecretCommand(['rotate', '--region', 'eu-west-1'], io().io)).rejects.toThrow(UsageError);
    await expect(webhookSecretCommand(['rotate', '--region', 'eu-west-1'], io().io)).rejects.toThrow(/--secret-id is required/);
    await expect(webhookSecretCommand(['renew'], io().io)).rejects.toThrow(/unknown action "renew"/);
    await expect(webhookSecretCommand(['rotate', '--window-days', '365'], io().io)).rejects.toThrow(/--window-days must be a whole number from 0 to 90/);
  });
});
