/**
 * The SMART Backend Services client and the FHIR HTTP client against the local FHIR stand-in on a
 * free port: the assertion's claims, the token cache, one renewal on 401, backoff on 429/5xx with
 * Retry-After, and the keys the secret may hold.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { LocalFhirServer } from '../../../infra/local/fhir/fhir-server.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { FhirHttpClient, FhirUnavailableError, retryAfterMs } from '../../../shared/adapters/fhir-client.ts';
import { FHIR_INBOUND_SCOPES, parseSigningKey, SmartAuthError, SmartBackendAuth, type SmartSigningKey } from '../../../shared/adapters/smart-backend-auth.ts';

const clock = new ManualClock(new Date('2026-10-12T12:00:00Z'));
const server = new LocalFhirServer({ port: 0, now: () => clock.now(), tokenLifetimeSeconds: 300 });
let signingKey: SmartSigningKey;
let publicKey: CryptoKey;

beforeAll(async () => {
  await server.listen();
  const pair = await generateKeyPair('ES384', { extractable: true });
  publicKey = pair.publicKey;
  signingKey = { key: pair.privateKey, alg: 'ES384', kid: 'k1' };
  server.registerClient({ clientId: 'alliance', publicJwk: { ...(await exportJWK(pair.publicKey)), alg: 'ES384' } });
});
afterAll(() => server.stop());

function auth(): SmartBackendAuth {
  return new SmartBackendAuth({ tokenUrl: server.tokenUrl, clientId: 'alliance', scope: FHIR_INBOUND_SCOPES.join(' ') }, async () => signingKey, { clock });
}

function client(smart = auth(), waits: number[] = []): FhirHttpClient {
  return new FhirHttpClient(server.baseUrl, smart, { clock, sleep: async (ms) => void waits.push(ms), maxRetries: 2, maxWaitSeconds: 10 });
}

describe('the client assertion', () => {
  it('is signed with the key and names the client, the token URL, a near expiry and a fresh jti', async () => {
    const smart = auth();
    const first = await smart.assertion();
    const second = await smart.assertion();
    const { payload } = await jwtVerify(first, publicKey, { currentDate: clock.now() });
    expect(decodeProtectedHeader(first)).toMatchObject({ alg: 'ES384', typ: 'JWT', kid: 'k1' });
    expect(payload).toMatchObject({ iss: 'alliance', sub: 'alliance', aud: server.tokenUrl });
    expect(payload.exp! - Math.floor(clock.now().getTime() / 1000)).toBeLessThanOrEqual(300);
    expect(payload.exp! * 1000).toBeGreaterThan(clock.now().getTime());
    expect(decodeJwt(second).jti).not.toBe(payload.jti);
  });

  it('is refused by the token endpoint when signed with a key it does not know', async () => {
    const other = await generateKeyPair('ES384');
    const stranger = new SmartBackendAuth({ tokenUrl: server.tokenUrl, clientId: 'alliance', scope: 'system/Encounter.read' }, async () => ({ key: other.privateKey, alg: 'ES384' }), { clock });
    await expect(stranger.accessToken()).rejects.toMatchObject({ name: 'SmartAuthError', status: 401 });
  });
});

describe('the token cache', () => {
  it('reuses a token until shortly before it expires, then gets a new one', async () => {
    const smart = auth();
    const first = await smart.accessToken();
    clock.advance(200_000);
    expect(await smart.accessToken()).toBe(first);
    expect(smart.grants).toBe(1);
    clock.advance(50_000); // 50 s left of 300: within the renewal margin
    expect(await smart.accessToken()).not.toBe(first);
    expect(smart.grants).toBe(2);
  });

  it('renews once on a 401 and the read succeeds', async () => {
    const smart = auth();
    const fhir = client(smart);
    expect(await fhir.read('Patient', 'pt-1042')).toMatchObject({ resourceType: 'Patient', id: 'pt-1042' });
    server.expireTokens();
    expect(await fhir.read('Patient', 'pt-1042')).toMatchObject({ id: 'pt-1042' });
    expect(smart.grants).toBe(2);
    expect(fhir.stats.renewed).toBe(1);
  });
});

describe('backoff', () => {
  it('waits the Retry-After of a 429 and tries again', async () => {
    const waits: number[] = [];
    const fhir = client(auth(), waits);
    server.failNext({ status: 429, retryAfterSeconds: 3 }, { status: 503 });
    expect(await fhir.read('Patient', 'pt-1042')).toMatchObject({ id: 'pt-1042' });
    expect(waits).toEqual([3000, 1000]);
  });

  it('gives up after its retries with FhirUnavailableError (the poll keeps its cursor)', async () => {
    const fhir = client();
    server.failNext({ status: 503 }, { status: 503 }, { status: 503 });
    await expect(fhir.read('Patient', 'pt-1042')).rejects.toBeInstanceOf(FhirUnavailableError);
  });

  it('gives up at once on a Retry-After longer than it may wait', async () => {
    const waits: number[] = [];
    const fhir = client(auth(), waits);
    server.failNext({ status: 429, retryAfterSeconds: 600 });
    await expect(fhir.read('Patient', 'pt-1042')).rejects.toMatchObject({ status: 429 });
    expect(waits).toEqual([]);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('7', clock.now())).toBe(7000);
    expect(retryAfterMs(new Date(clock.now().getTime() + 5000).toUTCString(), clock.now())).toBe(5000);
    expect(retryAfterMs(null, clock.now())).toBeUndefined();
  });
});

describe('searches', () => {
  it('follows next links and returns the matches of every page', async () => {
    const from = clock.now().toISOString();
    clock.advance(1000);
    for (const id of ['s-1', 's-2', 's-3']) server.put({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' } });
    const fhir = new FhirHttpClient(server.baseUrl, auth(), { clock, pageSize: 2 });
    const pages: string[][] = [];
    for await (const page of fhir.finishedEncounters({ from, to: clock.now().toISOString() })) pages.push(page.map((resource) => (resource as { id: string }).id));
    expect(pages).toEqual([['s-1', 's-2'], ['s-3']]);
  });
});

describe('the key in the secret', () => {
  it('takes a PKCS#8 PEM (RSA → RS384), JSON with privateKeyPem, or a private JWK', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await parseSigningKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).alg).toBe('RS384');
    const ec = await generateKeyPair('ES384', { extractable: true });
    expect(await parseSigningKey(JSON.stringify({ privateKeyPem: await exportPKCS8(ec.privateKey), kid: 'k9' }))).toMatchObject({ alg: 'ES384', kid: 'k9' });
    expect(await parseSigningKey(JSON.stringify({ ...(await exportJWK(ec.privateKey)), alg: 'ES384', kid: 'k8' }))).toMatchObject({ alg: 'ES384', kid: 'k8' });
  });

  it('refuses a public key and a placeholder', async () => {
    const ec = await generateKeyPair('ES384', { extractable: true });
    await expect(parseSigningKey(JSON.stringify(await exportJWK(ec.publicKey)))).rejects.toBeInstanceOf(SmartAuthError);
    await expect(parseSigningKey('replace me')).rejects.toBeInstanceOf(SmartAuthError);
  });
});
