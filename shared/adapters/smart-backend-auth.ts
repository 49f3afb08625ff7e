/**
 * SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services"): the client-credentials
 * grant a backend app uses with a certified EHR's FHIR API. The app proves who it is with a JWT it
 * signs with its private key (RS384 or ES384) — `iss` and `sub` its client id, `aud` the token
 * URL, `exp` at most five minutes ahead, a fresh `jti` — and gets a short-lived bearer token.
 *
 * The private key lives in Secrets Manager (the stack's `fhirClientKey` secret; the local stack's
 * stand-in secret): a PKCS#8 PEM, or JSON `{ "privateKeyPem", "alg"?, "kid"? }`, or a private JWK.
 * The token is cached until shortly before it expires; a 401 from the FHIR server throws it away
 * (`invalidate`) and the caller asks once more. Nothing here logs the key, the assertion or a token.
 */
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { importJWK, importPKCS8, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../use-cases/ports.ts';
import { getSecretsManagerClient } from './secrets-manager.ts';

export type SmartSigningAlgorithm = 'RS384' | 'ES384';

/** The backend app's signing key, as read from its secret. */
export interface SmartSigningKey {
  key: CryptoKey | KeyObject;
  alg: SmartSigningAlgorithm;
  /** The key id the EHR's registration (JWKS) knows it by, if any. */
  kid?: string | undefined;
}

export interface SmartClientSettings {
  /** The EHR's token endpoint (its `.well-known/smart-configuration` token_endpoint). */
  tokenUrl: string;
  /** The client id the EHR gave the backend app at registration. */
  clientId: string;
  /** Space-separated system scopes. */
  scope: string;
}

/** The scopes the FHIR inbound path needs, and nothing more. */
export const FHIR_INBOUND_SCOPES = ['system/Encounter.read', 'system/Patient.read', 'system/Practitioner.read'] as const;

/** The token endpoint refused the grant, or answered something that is not a token. */
export class SmartAuthError extends Error {
  override name = 'SmartAuthError';
  constructor(
    message: string,
    /** The endpoint's HTTP status (0: not reached). */
    readonly status: number,
  ) {
    super(message);
  }
}

/** Parses a signing key from its secret's text (see the module comment for the shapes). */
export async function parseSigningKey(text: string): Promise<SmartSigningKey> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      throw new SmartAuthError('the FHIR client key secret is not valid JSON', 0);
    }
    if (typeof json['kty'] === 'string') {
      const alg = algorithmOf(json['alg'], json['kty'] === 'EC' ? 'ES384' : 'RS384');
      if (typeof json['d'] !== 'string') throw new SmartAuthError('the FHIR client key secret holds a public JWK; the private key is needed', 0);
      return { key: (await importJWK(json as JWK, alg)) as CryptoKey, alg, kid: typeof json['kid'] === 'string' ? json['kid'] : undefined };
    }
    if (typeof json['privateKeyPem'] === 'string') {
      const alg = algorithmOf(json['alg'], inferAlgorithm(json['privateKeyPem']));
      return { key: await importPKCS8(json['privateKeyPem'], alg), alg, kid: typeof json['kid'] === 'string' ? json['kid'] : undefined };
    }
    throw new SmartAuthError('the FHIR client key secret holds neither a private JWK nor privateKeyPem', 0);
  }
  if (trimmed.includes('PRIVATE KEY')) {
    const alg = inferAlgorithm(trimmed);
    return { key: createPrivateKey(trimmed), alg };
  }
  throw new SmartAuthError('the FHIR client key secret holds no private key (a PKCS#8 PEM, JSON with privateKeyPem, or a private JWK)', 0);
}

function algorithmOf(value: unknown, fallback: SmartSigningAlgorithm): SmartSigningAlgorithm {
  if (value === undefined) return fallback;
  if (value === 'RS384' || value === 'ES384') return value;
  throw new SmartAuthError(`the FHIR client key's alg must be RS384 or ES384, not ${String(value)}`, 0);
}

function inferAlgorithm(pem: string): SmartSigningAlgorithm {
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    throw new SmartAuthError('the FHIR client key secret holds a PEM that is not a private key', 0);
  }
  if (type === 'ec') return 'ES384';
  if (type === 'rsa') return 'RS384';
  throw new SmartAuthError(`the FHIR client key is ${type ?? 'of an unknown type'}; SMART Backend Services takes an RSA (RS384) or EC P-384 (ES384) key`, 0);
}

/** Reads the signing key from Secrets Manager, at most every ten minutes (a replaced key takes effect then). */
export function secretsManagerSigningKey(secretId: string, clock: Clock, client: () => SecretsManagerClient = getSecretsManagerClient): () => Promise<SmartSigningKey> {
  let cached: { key: SmartSigningKey; readAt: number } | undefined;
  return async () => {
    const now = clock.now().getTime();
    if (cached && now - cached.readAt < 10 * 60_000) return cached.key;
    const result = await client().send(new GetSecretValueCommand({ SecretId: secretId }));
    const key = await parseSigningKey(result.SecretString ?? '');
    cached = { key, readAt: now };
    return key;
  };
}

export interface SmartBackendAuthOptions {
  clock: Clock;
  fetch?: typeof fetch;
  /** Seconds before a token's expiry at which it is renewed instead of used (default 60). */
  renewBeforeSeconds?: number;
  /** Seconds the token request may take (default 15). */
  timeoutSeconds?: number;
}

/** Gets, caches and renews the backend app's access token. */
export class SmartBackendAuth {
  private cached: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  /** Token grants made (tests, and the poll's report). */
  grants = 0;

  constructor(
    private readonly settings: SmartClientSettings,
    private readonly signingKey: () => Promise<SmartSigningKey>,
    private readonly options: SmartBackendAuthOptions,
  ) {}

  /** A token valid for at least `renewBeforeSeconds` more, from the cache or a new grant. */
  async accessToken(): Promise<string> {
    const now = this.options.clock.now().getTime();
    if (this.cached && this.cached.expiresAt - (this.options.renewBeforeSeconds ?? 60) * 1000 > now) return this.cached.token;
    this.pending ??= this.grant().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The FHIR server refused this token (401): the next accessToken() gets a new one. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  /** The signed client assertion (exported for tests). */
  async assertion(): Promise<string> {
    const { key, alg, kid } = await this.signingKey();
    const iat = Math.floor(this.options.clock.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
      .setIssuer(this.settings.clientId)
      .setSubject(this.settings.clientId)
      .setAudience(this.settings.tokenUrl)
      .setIssuedAt(iat)
      // At most five minutes ahead, as the specification requires; four leaves room for clock skew.
      .setExpirationTime(iat + 240)
      .setJti(randomUUID())
      .sign(key);
  }

  private async grant(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: this.settings.scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await this.assertion(),
    });
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(this.settings.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout((this.options.timeoutSeconds ?? 15) * 1000),
      });
    } catch (error) {
      throw new SmartAuthError(`the FHIR token endpoint could not be reached (${(error as Error).name})`, 0);
    }
    const text = await response.text();
    if (!response.ok) {
      // The OAuth error code only: error_description may echo what was sent.
      const code = safeJson(text)?.['error'];
      throw new SmartAuthError(`the FHIR token endpoint refused the grant: HTTP ${response.status}${typeof code === 'string' ? ` ${code}` : ''}`, response.status);
    }
    const json = safeJson(text);
    const token = json?.['access_token'];
    const expiresIn = json?.['expires_in'];
    if (typeof token !== 'string' || token.length === 0) throw new SmartAuthError('the FHIR token endpoint answered without an access_token', response.status);
    this.grants += 1;
    // Without expires_in, assume the specification's recommended maximum of five minutes.
    const lifetime = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 300;
    this.cached = { token, expiresAt: this.options.clock.now().getTime() + lifetime * 1000 };
    return token;
  }
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
