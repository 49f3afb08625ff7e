/**
 * The local FHIR stand-in (infra/local/fhir/fhir-server.ts), over HTTP on a free port: the SMART
 * token endpoint checks the client assertion (signature, aud, exp, jti), tokens expire, searches
 * page with `next` links, PUT stores resources, and injected failures answer as a busy EHR would.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Bundle, Encounter } from '@medplum/fhirtypes';
import { LocalFhirServer } from '../../../infra/local/fhir/fhir-server.ts';

let now = new Date('2026-10-12T12:00:00Z');
const server = new LocalFhirServer({ port: 0, now: () => now, tokenLifetimeSeconds: 300 });
let privateKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  await server.listen();
  const pair = await generateKeyPair('ES384');
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES384')).privateKey;
  server.registerClient({ clientId: 'app-1', publicJwk: { ...(await exportJWK(pair.publicKey)), alg: 'ES384' } });
});
afterAll(() => server.stop());

function assertion(claims: { aud?: string; exp?: number; jti?: string; key?: CryptoKey; iss?: string } = {}): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT' })
    .setIssuer(claims.iss ?? 'app-1')
    .setSubject(claims.iss ?? 'app-1')
    .setAudience(claims.aud ?? server.tokenUrl)
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp ?? iat + 240)
    .setJti(claims.jti ?? randomUUID())
    .sign(claims.key ?? privateKey);
}

async function requestToken(clientAssertion: string): Promise<Response> {
  return fetch(server.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
      scope: 'system/Encounter.read system/Patient.read system/Practitioner.read',
    }),
  });
}

async function token(): Promise<string> {
  const response = await requestToken(await assertion());
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('the SMART token endpoint', () => {
  it('issues a bearer token for a correctly signed assertion, with its lifetime', async () => {
    const response = await requestToken(await assertion());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'bearer', expires_in: 300, access_token: expect.any(String), scope: expect.stringContaining('system/Encounter.read') });
  });

  it.each<[string, () => { aud?: string; exp?: number; iss?: string; key?: CryptoKey }]>([
    ['another key', () => ({ key: otherKey })],
    ['another audience', () => ({ aud: 'https://elsewhere.example/token' })],
    ['an expired assertion', () => ({ exp: Math.floor(now.getTime() / 1000) - 10 })],
    ['an exp far ahead', () => ({ exp: Math.floor(now.getTime() / 1000) + 3600 })],
    ['an unknown client', () => ({ iss: 'app-2' })],
  ])('refuses %s', async (_name, claims) => {
    const response = await requestToken(await assertion(claims()));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a replayed jti', async () => {
    const jti = randomUUID();
    expect((await requestToken(await assertion({ jti }))).status).toBe(200);
    expect((await requestToken(await assertion({ jti }))).status).toBe(401);
  });
});

describe('resources', () => {
  it('refuses a read without a token, and with an expired one', async () => {
    expect((await fetch(`${server.baseUrl}/Patient/pt-1042`)).status).toBe(401);
    const bearer = await token();
    expect((await fetch(`${server.baseUrl}/Patient/pt-1042`, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(200);
    now = new Date(now.getTime() + 301_000);
    const expired = await fetch(`${server.baseUrl}/Patient/pt-1042`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it('stores a PUT encounter and finds it by status and _lastUpdated, page by page with next links', async () => {
    const bearer = await token();
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' };
    const since = now.toISOString();
    now = new Date(now.getTime() + 1000);
    for (const id of ['e-a', 'e-b', 'e-c']) {
      const encounter: Encounter = { resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pt-1042' } };
      const put = await fetch(`${server.baseUrl}/Encounter/${id}`, { method: 'PUT', headers, body: JSON.stringify(encounter) });
      expect(put.status).toBe(201);
    }
    await fetch(`${server.baseUrl}/Encounter/e-x`, { method: 'PUT', headers, body: JSON.stringify({ resourceType: 'Encounter', id: 'e-x', status: 'in-progress', class: { code: 'AMB' } }) });

    const ids: string[] = [];
    let next: string | undefined = `${server.baseUrl}/Encounter?status=finished&_lastUpdated=gt${since}&_count=2`;
    let pages = 0;
    while (next) {
      const page = (await (await fetch(next, { headers })).json()) as Bundle;
      pages += 1;
      ids.push(...(page.entry ?? []).map((entry) => entry.resource!.id!));
      next = page.link?.find((link) => link.relation === 'next')?.url;
    }
    expect(ids).toEqual(['e-a', 'e-b', 'e-c']);
    expect(pages).toBe(2);
  });

  it('answers injected failures with their status and Retry-After, then serves again', async () => {
    const headers = { authorization: `Bearer ${await token()}` };
    server.failNext({ status: 429, retryAfterSeconds: 2 });
    const busy = await fetch(`${server.baseUrl}/Patient/pt-1042`, { headers });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${server.baseUrl}/Patient/pt-1042`, { headers })).status).toBe(200);
  });
});
