/**
 * The webhook secret: its stored format, rotation with two active secrets, and the verifier's
 * cache over Secrets Manager (a fake client counts the reads).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import {
  activeSecrets,
  generateWebhookSecret,
  isWebhookSecret,
  parseWebhookSecretValue,
  retirePreviousWebhookSecret,
  rotateWebhookSecret,
  SecretsManagerWebhookVerifier,
  verifyWithSecrets,
  WebhookSecretFormatError,
} from '../../../shared/adapters/webhook-secret.ts';

const A = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const B = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const NOW = new Date('2026-12-06T10:00:00Z');

function signed(secret: string, body = '{"sessionId":"s-1"}') {
  const id = 'msg_1';
  return { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, new Date(), body) } };
}

/** A Secrets Manager client whose value can change, counting its reads. */
function fakeClient(initial: string) {
  const state = { value: initial, reads: 0 };
  const client = { send: async () => ((state.reads += 1), { SecretString: state.value }) } as unknown as SecretsManagerClient;
  return { client, state };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('the secret value', () => {
  it('makes whsec_ secrets of 32 random bytes, each different', () => {
    const [one, two] = [generateWebhookSecret(), generateWebhookSecret()];

    expect(one).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(one.slice(6), 'base64')).toHaveLength(32);
    expect(one).not.toBe(two);
    expect(isWebhookSecret(one)).toBe(true);
  });

  it('refuses short, unprefixed and non-base64 secrets', () => {
    for (const bad of ['whsec_', `whsec_${Buffer.alloc(16).toString('base64')}`, Buffer.alloc(32).toString('base64'), 'whsec_not base64!!!!!!!!!!!!!!!!!!!!!!!!!']) expect(isWebhookSecret(bad), bad).toBe(false);
  });

  it('reads the JSON the CLI writes, and a bare whsec_ string as the current secret', () => {
    expect(parseWebhookSecretValue(JSON.stringify({ current: A, previous: B, previousUntil: NOW.toISOString() }))).toEqual({ current: A, previous: B, previousUntil: NOW.toISOString() });
    expect(parseWebhookSecretValue(A)).toEqual({ current: A });
  });

  it('refuses CloudFormation’s placeholder without repeating it', () => {
    const placeholder = 'R4nd0m-Placeholder-Value';

    expect(() => parseWebhookSecretValue(placeholder)).toThrow(WebhookSecretFormatError);
    expect(() => parseWebhookSecretValue(placeholder)).not.toThrow(placeholder);
  });

  it('keeps the previous secret active after a rotation until its window ends, or until it is retired', () => {
    const rotated = rotateWebhookSecret({ current: A }, B, NOW, 7);

    expect(activeSecrets(rotated, NOW)).toEqual([B, A]);
    expect(activeSecrets(rotated, new Date(NOW.getTime() + 7 * 86_400_000 - 1))).toEqual([B, A]);
    expect(activeSecrets(rotated, new Date(NOW.getTime() + 7 * 86_400_000))).toEqual([B]);
    expect(activeSecrets(retirePreviousWebhookSecret(rotated), NOW)).toEqual([B]);
  });
});

describe('verification (standardwebhooks)', () => {
  it('accepts a signature by any active secret and tells a wrong one from a malformed delivery', () => {
    const { body, headers } = signed(B);

    expect(verifyWithSecrets([A, B], body, headers)).toBe('valid');
    expect(verifyWithSecrets([A], body, headers)).toBe('no-match');
    expect(verifyWithSecrets([A, B], body, { ...headers, 'webhook-signature': undefined })).toBe('invalid');
  });

  it('refuses a timestamp more than five minutes from now, signed with the right secret', () => {
    const { body, headers } = signed(A);
    vi.setSystemTime(new Date(NOW.getTime() + 5 * 60_000 + 1_000));

    expect(verifyWithSecrets([A], body, headers)).toBe('invalid');
  });
});

describe('the Secrets Manager verifier', () => {
  it('reads the secret once a minute, not per delivery', async () => {
    const { client, state } = fakeClient(JSON.stringify({ current: A }));
    const clock = new ManualClock(NOW);
    const verifier = new SecretsManagerWebhookVerifier('arn:secret', { clock, client });

    for (let index = 0; index < 5; index++) expect(await verifier.verify(signed(A).body, signed(A).headers)).toBe(true);
    clock.advance(60_000);
    await verifier.verify(signed(A).body, signed(A).headers);

    expect(state.reads).toBe(2);
  });

  it('re-reads at once when a signature matches no cached secret, but at most every 10 s', async () => {
    const { client, state } = fakeClient(JSON.stringify({ current: A }));
    const clock = new ManualClock(NOW);
    const verifier = new SecretsManagerWebhookVerifier('arn:secret', { clock, client });
    await verifier.verify(signed(A).body, signed(A).headers);
    state.value = JSON.stringify(rotateWebhookSecret({ current: A }, B, NOW));

    const tooSoon = await verifier.verify(signed(B).body, signed(B).headers);
    clock.advance(10_000);
    const afterRotation = await verifier.verify(signed(B).body, signed(B).headers);
    const forgeries = await Promise.all([1, 2, 3].map(() => verifier.verify(signed(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).body, signed(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).headers)));

    expect(tooSoon).toBe(false);
    expect(afterRotation).toBe(true);
    expect(forgeries).toEqual([false, false, false]);
    expect(state.reads).toBe(2);
  });

  it('stops accepting the previous secret when its window ends, without a new read', async () => {
    const { client, state } = fakeClient(JSON.stringify({ current: B, previous: A, previousUntil: new Date(NOW.getTime() + 30_000).toISOString() }));
    const clock = new ManualClock(NOW);
    const verifier = new SecretsManagerWebhookVerifier('arn:secret', { clock, client, refreshAfterMismatchMs: 60_000 });

    const before = await verifier.verify(signed(A).body, signed(A).headers);
    clock.advance(30_000);
    const after = await verifier.verify(signed(A).body, signed(A).headers);

    expect([before, after]).toEqual([true, false]);
    expect(state.reads).toBe(1);
  });
});
