/**
 * The local FHIR R4 stand-in: enough of a certified EHR's FHIR API for the product's FHIR inbound
 * path to run on a laptop and in the tests, without the internet.
 *
 * - SMART Backend Services token endpoint (`POST {base}/auth/token`): client-credentials grant with
 *   a signed JWT client assertion (RS384 or ES384), verified against the registered client's public
 *   key (signature, `iss` = `sub` = client id, `aud` = the token URL, `exp` at most five minutes
 *   ahead, `jti` not seen before); issues opaque bearer tokens that expire after
 *   `tokenLifetimeSeconds` (and `expireTokens()` expires every issued one, for tests).
 * - `GET {base}/Encounter?status=…&_lastUpdated=gt…&_count=…` searchset bundles, oldest change
 *   first, paged with `next` links; `GET {base}/{type}/{id}` (both with a bearer token whose scopes
 *   cover the type); `PUT {base}/{type}/{id}` for Patient, Practitioner and Encounter, without a
 *   token (it stands for the EHR's own users: demos and tests add resources the standard way).
 * - `GET {base}/.well-known/smart-configuration` and a small `metadata`.
 * - `failNext()` answers the next resource requests with an error (429 with Retry-After, 503).
 * - `subscribe()` stands for a topic-based Subscription (R5 Backport IG, R4, `encounter-complete`,
 *   `rest-hook`): a handshake at once, then an `id-only` or `full-resource` notification, with the
 *   Subscription's `Authorization` header, each time a PUT makes an Encounter `finished`.
 *
 * In memory; the fixtures (./fixtures.json) are written for this project after the specification's
 * published example shapes. Every time (meta.lastUpdated, token expiry, assertion checks) comes from
 * the given clock, so tests with a ManualClock stay consistent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { importJWK, jwtVerify, type JWK } from 'jose';
import type { Bundle, BundleEntry, Encounter, Parameters, Resource } from '@medplum/fhirtypes';
import { HttpListener } from '../http-listener.ts';
import type { LogLine } from '../log.ts';

/** Where the stand-in serves FHIR, under its port. */
export const FHIR_BASE_PATH = '/fhir/r4';

/** The client id the local stack's backend app is registered under with the stand-in. */
export const LOCAL_FHIR_CLIENT_ID = 'alliance-feedback-local';

/** The resource types a client may PUT and read. */
export const FHIR_STORED_TYPES = ['Patient', 'Practitioner', 'Encounter'] as const;
type StoredType = (typeof FHIR_STORED_TYPES)[number];

const FIXTURES_FILE = new URL('./fixtures.json', import.meta.url);

/** A backend app registered with the stand-in, as an EHR's app registration holds it. */
export interface RegisteredClient {
  clientId: string;
  /** The public key its assertions are signed with (a JWK with `alg` RS384 or ES384). */
  publicJwk: JWK;
}

export interface LocalFhirServerOptions {
  /** 0: any free port. */
  port: number;
  now?: () => Date;
  log?: LogLine;
  /** Seconds an access token is valid (default 300, as EHRs commonly issue). */
  tokenLifetimeSeconds?: number;
  /** Load ./fixtures.json (default true); `rebase` moves each finished fixture encounter to have ended 30 minutes ago. */
  fixtures?: boolean | 'rebase';
  /** Page size when the search gives no `_count` (default 50). */
  defaultPageSize?: number;
}

interface IssuedToken {
  clientId: string;
  expiresAt: number;
  scope: string;
}

/** A Subscription the stand-in notifies (see subscribe()). */
export interface LocalSubscription {
  /** The rest-hook endpoint (the product's POST /fhir/r4/notifications). */
  endpoint: string;
  /** Sent as `Authorization: Bearer <secret>` (the Subscription's channel header). */
  secret: string;
  content: 'id-only' | 'full-resource';
}

/** The topic the stand-in's Subscription is on (the IG's example canonical URL). */
export const LOCAL_ENCOUNTER_COMPLETE_TOPIC = 'http://example.org/FHIR/SubscriptionTopic/encounter-complete';

/** The statuses failNext() can inject. */
export type InjectedFailure = { status: 429 | 500 | 502 | 503; retryAfterSeconds?: number };

export class LocalFhirServer {
  private readonly listener: HttpListener;
  private readonly resources = new Map<string, Resource>();
  private readonly clients = new Map<string, RegisteredClient>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly seenJti = new Map<string, number>();
  private readonly failures: InjectedFailure[] = [];
  private readonly now: () => Date;
  private readonly log: LogLine;
  private version = 0;
  private subscription: (LocalSubscription & { events: number }) | undefined;
  private sending: Promise<void> = Promise.resolve();
  /** Requests by kind, for tests: token grants, searches (pages), reads, writes, refusals. */
  readonly counts = { tokens: 0, searches: 0, reads: 0, writes: 0, unauthorized: 0, injected: 0 };

  tokenLifetimeSeconds: number;

  constructor(private readonly options: LocalFhirServerOptions) {
    this.listener = new HttpListener(options.port, 'fhir');
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 300;
    if (options.fixtures !== false) this.loadFixtures(options.fixtures === 'rebase');
  }

  get port(): number {
    return this.listener.port;
  }

  /** `http://127.0.0.1:<port>/fhir/r4` */
  get baseUrl(): string {
    return `${this.listener.endpoint}${FHIR_BASE_PATH}`;
  }

  get tokenUrl(): string {
    return `${this.baseUrl}/auth/token`;
  }

  async listen(): Promise<void> {
    await this.listener.listen((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.log('fhir', `request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!response.headersSent) send(response, 500, operationOutcome('exception', 'internal error'));
        else response.end();
      });
    });
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  /** Registers a backend app (its client id and public key), as the EHR's administrator does. */
  registerClient(client: RegisteredClient): void {
    this.clients.set(client.clientId, client);
  }

  /** Every token issued so far stops working (the client must get a new one). */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = 0;
  }

  /** The next resource requests (searches and reads, one per entry) are answered with these errors. */
  failNext(...failures: InjectedFailure[]): void {
    this.failures.push(...failures);
  }

  /**
   * Starts a Subscription to finished encounters: sends its handshake now (returns the endpoint's
   * status), then a notification each time a PUT makes an Encounter `finished`.
   */
  async subscribe(subscription: LocalSubscription): Promise<number> {
    this.subscription = { ...subscription, events: 0 };
    return this.notify('handshake', []);
  }

  /** Resolves once every notification sent so far was answered (tests). */
  async notificationsSent(): Promise<void> {
    await this.sending;
  }

  /** Creates or replaces a resource as a PUT would (new versionId, lastUpdated now); returns it as stored. */
  put<T extends Resource>(resource: T): T {
    if (!isStoredType(resource.resourceType)) throw new Error(`the stand-in stores ${FHIR_STORED_TYPES.join(', ')} only`);
    if (typeof resource.id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(resource.id)) throw new Error('a resource needs a FHIR id');
    this.version += 1;
    const stored = { ...resource, meta: { ...(resource.meta ?? {}), versionId: String(this.version), lastUpdated: this.now().toISOString() } } as T;
    this.resources.set(`${resource.resourceType}/${resource.id}`, stored);
    return stored;
  }

  /** A stored resource, or undefined. */
  get(type: StoredType, id: string): Resource | undefined {
    return this.resources.get(`${type}/${id}`);
  }

  /** Posts one notification bundle to the subscriber; its HTTP status (0 when it could not be reached). */
  private async notify(type: 'handshake' | 'event-notification', encounters: Encounter[]): Promise<number> {
    const subscription = this.subscription;
    if (!subscription) return 0;
    const reference = `${this.baseUrl}/Subscription/alliance-feedback`;
    const status: Parameters = {
      resourceType: 'Parameters',
      id: randomUUID(),
      meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] },
      parameter: [
        { name: 'subscription', valueReference: { reference } },
        { name: 'topic', valueCanonical: LOCAL_ENCOUNTER_COMPLETE_TOPIC },
        { name: 'status', valueCode: type === 'handshake' ? 'requested' : 'active' },
        { name: 'type', valueCode: type },
        { name: 'events-since-subscription-start', valueString: String(subscription.events) },
        ...encounters.map((encounter, index) => ({
          name: 'notification-event',
          part: [
            { name: 'event-number', valueString: String(subscription.events - encounters.length + index + 1) },
            { name: 'timestamp', valueInstant: this.now().toISOString() },
            { name: 'focus', valueReference: { reference: `${this.baseUrl}/Encounter/${encounter.id}` } },
          ],
        })),
      ],
    };
    const included =
      subscription.content === 'full-resource'
        ? encounters.flatMap((encounter) => {
            const patientId = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(encounter.subject?.reference ?? '')?.[1];
            const patient = patientId === undefined ? undefined : this.resources.get(`Patient/${patientId}`);
            return [encounter, ...(patient ? [patient] : [])];
          })
        : [];
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'history',
      timestamp: this.now().toISOString(),
      entry: [
        { fullUrl: `urn:uuid:${status.id}`, resource: status, request: { method: 'GET', url: `${reference}/$status` }, response: { status: '200' } },
        ...included.map((resource): BundleEntry => ({ fullUrl: `${this.baseUrl}/${resource.resourceType}/${resource.id}`, resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }, response: { status: '200' } })),
      ],
    };
    try {
      const response = await fetch(subscription.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${subscription.secret}` },
        body: JSON.stringify(bundle),
        signal: AbortSignal.timeout(30_000),
      });
      await response.body?.cancel();
      this.log('fhir', `subscription ${type} (${subscription.content}, events ${subscription.events}) → HTTP ${response.status}`);
      return response.status;
    } catch (error) {
      this.log('fhir', `subscription ${type} not delivered (${(error as Error).name})`);
      return 0;
    }
  }

  private loadFixtures(rebase: boolean): void {
    const bundle = JSON.parse(readFileSync(FIXTURES_FILE, 'utf8')) as Bundle;
    const now = this.now().getTime();
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      if (resource === undefined) continue;
      if (rebase && resource.resourceType === 'Encounter' && resource.status === 'finished' && resource.period?.start && resource.period.end) {
        const duration = Date.parse(resource.period.end) - Date.parse(resource.period.start);
        const end = now - 30 * 60_000;
        this.put({ ...resource, period: { start: new Date(end - duration).toISOString(), end: new Date(end).toISOString() } });
      } else {
        this.put(resource);
      }
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.listener.endpoint);
    if (!url.pathname.startsWith(FHIR_BASE_PATH)) return send(response, 404, operationOutcome('not-found', 'not a FHIR path'));
    const path = url.pathname.slice(FHIR_BASE_PATH.length).replace(/\/+$/, '');
    const method = request.method ?? 'GET';

    if (path === '/.well-known/smart-configuration' && method === 'GET') {
      return send(response, 200, {
        token_endpoint: this.tokenUrl,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
        grant_types_supported: ['client_credentials'],
        scopes_supported: ['system/Encounter.read', 'system/Patient.read', 'system/Practitioner.read'],
        capabilities: ['client-confidential-asymmetric'],
      });
    }
    if (path === '/metadata' && method === 'GET') {
      return send(response, 200, {
        resourceType: 'CapabilityStatement',
        status: 'active',
        date: '2026-01-01',
        kind: 'instance',
        fhirVersion: '4.0.1',
        format: ['json'],
        rest: [{ mode: 'server', resource: FHIR_STORED_TYPES.map((type) => ({ type, interaction: [{ code: 'read' }, { code: 'update' }, ...(type === 'Encounter' ? [{ code: 'search-type' }] : [])] })) }],
      });
    }
    if (path === '/auth/token') {
      if (method !== 'POST') return send(response, 405, { error: 'invalid_request' });
      return this.token(request, response);
    }

    const match = /^\/(Patient|Practitioner|Encounter)(?:\/([A-Za-z0-9\-.]{1,64}))?$/.exec(path);
    if (!match) return send(response, 404, operationOutcome('not-supported', 'the stand-in serves Patient, Practitioner and Encounter only'));
    const type = match[1] as StoredType;
    const id = match[2];

    // A PUT needs no token: it stands for the EHR's own users entering data (demos: curl -X PUT).
    if (method !== 'PUT' && !this.authorized(request, type)) {
      this.counts.unauthorized += 1;
      response.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      return send(response, 401, operationOutcome('login', 'a valid bearer token is required'));
    }

    if (method === 'PUT' && id !== undefined) {
      const body = await readBody(request);
      let resource: Resource;
      try {
        resource = JSON.parse(body) as Resource;
      } catch {
        return send(response, 400, operationOutcome('structure', 'the body is not JSON'));
      }
      if (resource.resourceType !== type || resource.id !== id) return send(response, 400, operationOutcome('invariant', 'resourceType and id must match the URL'));
      const before = this.resources.get(`${type}/${id}`) as { status?: string } | undefined;
      const existed = before !== undefined;
      const stored = this.put(resource);
      // encounter-complete: an Encounter that became finished.
      if (type === 'Encounter' && (stored as Encounter).status === 'finished' && before?.status !== 'finished' && this.subscription) {
        this.subscription.events += 1;
        const notification = this.notify('event-notification', [stored as Encounter]).then(() => undefined);
        this.sending = this.sending.then(() => notification);
      }
      this.counts.writes += 1;
      response.setHeader('etag', `W/"${stored.meta?.versionId}"`);
      response.setHeader('location', `${this.baseUrl}/${type}/${id}/_history/${stored.meta?.versionId}`);
      return send(response, existed ? 200 : 201, stored);
    }
    if (method !== 'GET') return send(response, 405, operationOutcome('not-supported', `${method} is not supported here`));

    const failure = this.failures.shift();
    if (failure) {
      this.counts.injected += 1;
      if (failure.retryAfterSeconds !== undefined) response.setHeader('retry-after', String(failure.retryAfterSeconds));
      return send(response, failure.status, operationOutcome(failure.status === 429 ? 'throttled' : 'transient', 'injected failure'));
    }

    if (id !== undefined) {
      this.counts.reads += 1;
      const resource = this.resources.get(`${type}/${id}`);
      return resource ? send(response, 200, resource) : send(response, 404, operationOutcome('not-found', `${type}/${id} is not known`));
    }
    this.counts.searches += 1;
    return send(response, 200, this.search(type, url));
  }

  /** A searchset of one type: `status`, `_lastUpdated` (gt, ge, lt, le; repeatable), `_count`, `_offset` (the next links' cursor). */
  private search(type: StoredType, url: URL): Bundle {
    const params = url.searchParams;
    const statuses = params.getAll('status').flatMap((value) => value.split(','));
    const bounds = params.getAll('_lastUpdated').map(parseDateBound);
    const count = clampInt(params.get('_count'), this.options.defaultPageSize ?? 50, 1, 1000);
    const offset = clampInt(params.get('_offset'), 0, 0, Number.MAX_SAFE_INTEGER);
    const matching = [...this.resources.values()]
      .filter((resource) => resource.resourceType === type)
      .filter((resource) => statuses.length === 0 || statuses.includes((resource as { status?: string }).status ?? ''))
      .filter((resource) => bounds.every((bound) => bound === undefined || bound(Date.parse(resource.meta?.lastUpdated ?? ''))))
      .sort((a, b) => (a.meta?.lastUpdated ?? '').localeCompare(b.meta?.lastUpdated ?? '') || (a.id ?? '').localeCompare(b.id ?? ''));
    const page = matching.slice(offset, offset + count);
    const link = (at: number) => {
      const next = new URL(`${this.baseUrl}/${type}`);
      for (const [name, value] of params) if (name !== '_offset') next.searchParams.append(name, value);
      next.searchParams.set('_offset', String(at));
      return next.toString();
    };
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matching.length,
      meta: { lastUpdated: this.now().toISOString() },
      link: [{ relation: 'self', url: link(offset) }, ...(offset + count < matching.length ? [{ relation: 'next', url: link(offset + count) }] : [])],
      entry: page.map((resource): BundleEntry => ({ fullUrl: `${this.baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } })),
    };
  }

  private authorized(request: IncomingMessage, readType: StoredType): boolean {
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (.+)$/i.exec(header)?.[1];
    const issued = token === undefined ? undefined : this.tokens.get(token);
    if (issued === undefined || issued.expiresAt <= this.now().getTime()) return false;
    // system/<Type>.read (or SMART v2's .rs, or .*).
    return issued.scope.split(' ').some((scope) => new RegExp(`^system/(${readType}|\\*)\\.(read|rs|\\*|r?s|r)$`).test(scope));
  }

  private async token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(request));
    const refuse = (error: string, description: string) => {
      this.log('fhir', `token refused: ${description}`);
      return send(response, error === 'invalid_client' ? 401 : 400, { error, error_description: description });
    };
    if (form.get('grant_type') !== 'client_credentials') return refuse('unsupported_grant_type', 'grant_type must be client_credentials');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('invalid_request', 'client_assertion_type must be jwt-bearer');
    const assertion = form.get('client_assertion');
    if (!assertion) return refuse('invalid_request', 'client_assertion is missing');
    let clientId: string;
    try {
      const [, payloadPart] = assertion.split('.');
      clientId = (JSON.parse(Buffer.from(payloadPart ?? '', 'base64url').toString('utf8')) as { iss?: string }).iss ?? '';
    } catch {
      return refuse('invalid_client', 'the assertion is not a JWT');
    }
    const client = this.clients.get(clientId);
    if (!client) return refuse('invalid_client', 'unknown client');
    const now = this.now();
    try {
      const key = await importJWK(client.publicJwk, client.publicJwk.alg);
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: ['RS384', 'ES384'],
        issuer: client.clientId,
        subject: client.clientId,
        audience: this.tokenUrl,
        currentDate: now,
        requiredClaims: ['exp', 'jti'],
      });
      const exp = payload.exp!;
      if (exp * 1000 > now.getTime() + 5 * 60_000 + 1_000) return refuse('invalid_client', 'exp is more than five minutes ahead');
      const jti = payload.jti!;
      for (const [seen, until] of this.seenJti) if (until < now.getTime()) this.seenJti.delete(seen);
      if (this.seenJti.has(jti)) return refuse('invalid_client', 'jti was used before');
      this.seenJti.set(jti, exp * 1000);
    } catch (error) {
      return refuse('invalid_client', `assertion not accepted (${error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'error'})`);
    }
    const requested = (form.get('scope') ?? '').split(' ').filter((scope) => /^system\//.test(scope));
    const scope = requested.join(' ');
    for (const [issued, { expiresAt }] of this.tokens) if (expiresAt <= now.getTime()) this.tokens.delete(issued);
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, { clientId, scope, expiresAt: now.getTime() + this.tokenLifetimeSeconds * 1000 });
    this.counts.tokens += 1;
    response.setHeader('cache-control', 'no-store');
    return send(response, 200, { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenLifetimeSeconds, scope });
  }
}

function isStoredType(type: string): type is StoredType {
  return (FHIR_STORED_TYPES as readonly string[]).includes(type);
}

/** `gt2026-01-05T14:00:00Z` → a predicate on a time (ms); no prefix is `eq` to the instant given. */
function parseDateBound(value: string): ((time: number) => boolean) | undefined {
  const match = /^(gt|ge|lt|le|eq)?(.+)$/.exec(value);
  if (!match) return undefined;
  const at = Date.parse(match[2]!);
  if (Number.isNaN(at)) return () => false;
  switch (match[1]) {
    case 'gt':
      return (time) => time > at;
    case 'ge':
      return (time) => time >= at;
    case 'lt':
      return (time) => time < at;
    case 'le':
      return (time) => time <= at;
    default:
      return (time) => time === at;
  }
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  const value = raw === null ? fallback : Number(raw);
  return Number.isInteger(value) ? Math.min(Math.max(value, min), max) : fallback;
}

function operationOutcome(code: string, diagnostics: string): Resource {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: code as 'exception', diagnostics }] };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', typeof body === 'object' && body !== null && 'resourceType' in body ? 'application/fhir+json' : 'application/json');
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('body larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
