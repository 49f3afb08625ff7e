/**
 * The signed webhook's secret: what Secrets Manager holds, and the verifier that reads it.
 *
 * The secret's value is JSON: `{ "current": "whsec_…", "previous": "whsec_…", "previousUntil":
 * "<ISO time>" }`. During a rotation both the new (`current`) and the old (`previous`) secret
 * verify, so the EHR can switch at its own pace; `previous` stops verifying at `previousUntil`
 * (ROTATION_WINDOW_DAYS after the rotation) or when `alliance webhook-secret retire-previous`
 * removes it, whichever comes first. A bare `whsec_…` string (set by hand) is taken as `current`.
 */
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSecretsManagerClient } from './secrets-manager.ts';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { Clock, WebhookSignatureVerifier } from '../use-cases/ports.ts';

/** Standard Webhooks' prefix of a secret: the rest is the key, base64-encoded. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** 32 random bytes: SHA-256's block-size-safe key length (the spec asks for 24 to 64). */
export const WEBHOOK_SECRET_BYTES = 32;

/** How long the previous secret keeps verifying after a rotation unless it is retired sooner. */
export const ROTATION_WINDOW_DAYS = 7;

export interface WebhookSecretValue {
  current: string;
  previous?: string | undefined;
  /** ISO time after which `previous` no longer verifies. */
  previousUntil?: string | undefined;
}

/** A secret value that is not one this product wrote (or a hand-written `whsec_…` string). */
export class WebhookSecretFormatError extends Error {
  override name = 'WebhookSecretFormatError';
}

/** A new secret from the system's cryptographic random source. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64')}`;
}

/** Whether a string is a usable Standard Webhooks secret (`whsec_` and at least 24 bytes of base64). */
export function isWebhookSecret(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const key = value.slice(WEBHOOK_SECRET_PREFIX.length);
  return /^[A-Za-z0-9+/]+={0,2}$/.test(key) && Buffer.from(key, 'base64').length >= 24;
}

/** Reads the stored value; never echoes it in an error (it is the secret). */
export function parseWebhookSecretValue(text: string): WebhookSecretValue {
  const trimmed = text.trim();
  if (isWebhookSecret(trimmed)) return { current: trimmed };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new WebhookSecretFormatError('the webhook secret is neither a whsec_ secret nor JSON with "current"');
  }
  const value = parsed as Partial<Record<keyof WebhookSecretValue, unknown>> | null;
  if (value === null || typeof value !== 'object' || !isWebhookSecret(value.current)) throw new WebhookSecretFormatError('the webhook secret has no valid "current" whsec_ secret');
  if (value.previous !== undefined && !isWebhookSecret(value.previous)) throw new WebhookSecretFormatError('the webhook secret\'s "previous" is not a valid whsec_ secret');
  if (value.previousUntil !== undefined && (typeof value.previousUntil !== 'string' || Number.isNaN(Date.parse(value.previousUntil)))) {
    throw new WebhookSecretFormatError('the webhook secret\'s "previousUntil" is not a time');
  }
  return { current: value.current, previous: value.previous as string | undefined, previousUntil: value.previousUntil as string | undefined };
}

/** The secrets that verify now: the current one, and the previous one inside its window. */
export function activeSecrets(value: WebhookSecretValue, now: Date): string[] {
  const previousActive = value.previous !== undefined && (value.previousUntil === undefined || Date.parse(value.previousUntil) > now.getTime());
  return previousActive ? [value.current, value.previous!] : [value.current];
}

/** The value after a rotation: `next` signs from now on, the old current verifies for `windowDays` more. */
export function rotateWebhookSecret(value: WebhookSecretValue, next: string, now: Date, windowDays: number = ROTATION_WINDOW_DAYS): WebhookSecretValue {
  return { current: next, previous: value.current, previousUntil: new Date(now.getTime() + windowDays * 86_400_000).toISOString() };
}

/** The value once the previous secret is retired: only `current` verifies. */
export function retirePreviousWebhookSecret(value: WebhookSecretValue): WebhookSecretValue {
  return { current: value.current };
}

/**
 * Verifies one delivery against a list of secrets with the `standardwebhooks` library, which also
 * refuses a `webhook-timestamp` more than 5 minutes from now. `no-match` (a signature none of the
 * secrets made) is told apart from other failures (missing headers, stale timestamp): only it can
 * be mended by re-reading the secret.
 */
export function verifyWithSecrets(secrets: readonly string[], body: string, headers: Readonly<Record<string, string | undefined>>): 'valid' | 'no-match' | 'invalid' {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) present[name.toLowerCase()] = value;
  if (!present['webhook-id'] || !present['webhook-timestamp'] || !present['webhook-signature']) return 'invalid';
  let outcome: 'no-match' | 'invalid' = 'invalid';
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(body, present, { jsonParse: false });
      return 'valid';
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      // The library's only signal for "the signature is wrong" (vs. headers or timestamp) is its message.
      if (error.message !== 'No matching signature found') return 'invalid';
      outcome = 'no-match';
    }
  }
  return outcome;
}

export interface SecretsManagerVerifierOptions {
  clock: Clock;
  client?: SecretsManagerClient;
  /**
   * How long the secret is kept in memory: a rotation or retirement takes effect within this time
   * in every warm container, and a busy container reads Secrets Manager at most once a minute
   * (billed per 10,000 calls, and a network round trip each time).
   */
  cacheMs?: number;
  /**
   * A signature no cached secret matches re-reads the secret at once (a rotation just happened),
   * but at most this often: forged requests must not turn into a Secrets Manager call each.
   */
  refreshAfterMismatchMs?: number;
}

/** WebhookSignatureVerifier over the secret in Secrets Manager, cached briefly. */
export class SecretsManagerWebhookVerifier implements WebhookSignatureVerifier {
  private cached: { secrets: string[]; value: WebhookSecretValue; readAt: number } | undefined;
  private readonly client: SecretsManagerClient;
  private readonly cacheMs: number;
  private readonly refreshAfterMismatchMs: number;

  constructor(
    private readonly secretId: string,
    private readonly options: SecretsManagerVerifierOptions,
  ) {
    this.client = options.client ?? getSecretsManagerClient();
    this.cacheMs = options.cacheMs ?? 60_000;
    this.refreshAfterMismatchMs = options.refreshAfterMismatchMs ?? 10_000;
  }

  async verify(body: string, headers: Readonly<Record<string, string | undefined>>): Promise<boolean> {
    const now = this.options.clock.now().getTime();
    const first = verifyWithSecrets(await this.secrets(now, false), body, headers);
    if (first !== 'no-match') return first === 'valid';
    if (this.cached !== undefined && now - this.cached.readAt < this.refreshAfterMismatchMs) return false;
    return verifyWithSecrets(await this.secrets(now, true), body, headers) === 'valid';
  }

  private async secrets(now: number, fresh: boolean): Promise<string[]> {
    if (fresh || this.cached === undefined || now - this.cached.readAt >= this.cacheMs) {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      if (result.SecretString === undefined) throw new WebhookSecretFormatError('the webhook secret has no string value');
      const value = parseWebhookSecretValue(result.SecretString);
      this.cached = { value, secrets: [], readAt: now };
    }
    // The previous secret's window is checked on every call, not only when the value is read.
    return activeSecrets(this.cached.value, new Date(now));
  }
}
