/**
 * The practice's FHIR R4 server over HTTPS (the FhirServer port), authorised with SMART Backend
 * Services (smart-backend-auth.ts). Searches follow the bundle's `next` links; a 401 renews the
 * token once and repeats the request; a 429 or a 5xx waits (the server's Retry-After, else an
 * exponential backoff) and tries again a few times, then gives up with FhirUnavailableError so the
 * poll fails without moving its cursor and the next one covers the window.
 *
 * Bearer tokens are only ever sent to the configured base URL's origin: a `next` link elsewhere is
 * refused. Errors name the status and the resource type, never an id, a URL's query or a body.
 */
import type { Clock, FhirResourceType, FhirServer } from '../use-cases/ports.ts';
import type { SmartBackendAuth } from './smart-backend-auth.ts';

/** The server kept answering 429 or 5xx (or could not be reached): try again at the next poll. */
export class FhirUnavailableError extends Error {
  override name = 'FhirUnavailableError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The server refused us (401 after a new token, 403) or answered something that is not FHIR JSON. */
export class FhirRequestError extends Error {
  override name = 'FhirRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface FhirHttpClientOptions {
  clock: Clock;
  fetch?: typeof fetch;
  /** Waits between retries (tests pass one that records and returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Retries of a 429/5xx before giving up (default 3). */
  maxRetries?: number;
  /** The longest wait before a retry; a Retry-After beyond it gives up at once (default 20 s: a poll runs in a Lambda). */
  maxWaitSeconds?: number;
  /** Encounters per page asked for (default 100). */
  pageSize?: number;
  /** Pages followed in one search at most (default 200): a loop of next links ends. */
  maxPages?: number;
  timeoutSeconds?: number;
}

export class FhirHttpClient implements FhirServer {
  private readonly base: URL;
  /** Requests answered 429/5xx and retried, and 401s renewed, in this container (for the report). */
  readonly stats = { retried: 0, renewed: 0 };

  constructor(
    baseUrl: string,
    private readonly auth: SmartBackendAuth,
    private readonly options: FhirHttpClientOptions,
  ) {
    this.base = new URL(baseUrl.replace(/\/+$/, '') + '/');
  }

  async *finishedEncounters(window: { from: string; to: string }): AsyncIterable<unknown[]> {
    const search = new URL('Encounter', this.base);
    search.searchParams.append('status', 'finished');
    search.searchParams.append('_lastUpdated', `gt${window.from}`);
    search.searchParams.append('_lastUpdated', `le${window.to}`);
    search.searchParams.append('_count', String(this.options.pageSize ?? 100));
    let next: URL | undefined = search;
    let pages = 0;
    while (next !== undefined) {
      pages += 1;
      if (pages > (this.options.maxPages ?? 200)) throw new FhirRequestError(`Encounter search: more than ${this.options.maxPages ?? 200} pages`, 200);
      const bundle = asObject(await this.getJson(next, 'Encounter search'));
      if (bundle?.['resourceType'] !== 'Bundle') throw new FhirRequestError('Encounter search: the answer is not a Bundle', 200);
      const entries = Array.isArray(bundle['entry']) ? (bundle['entry'] as unknown[]) : [];
      // Only matches: a server may include referenced resources (search.mode include) or an OperationOutcome.
      yield entries
        .map(asObject)
        .filter((entry) => entry !== undefined && (asObject(entry['search'])?.['mode'] ?? 'match') === 'match')
        .map((entry) => entry!['resource'])
        .filter((resource) => asObject(resource)?.['resourceType'] === 'Encounter');
      const links = Array.isArray(bundle['link']) ? (bundle['link'] as unknown[]).map(asObject) : [];
      const nextUrl = links.find((link) => link?.['relation'] === 'next')?.['url'];
      next = typeof nextUrl === 'string' ? this.sameOrigin(nextUrl) : undefined;
    }
  }

  async read(type: FhirResourceType, id: string): Promise<unknown> {
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw new FhirRequestError(`${type} read: not a FHIR id`, 0);
    return this.getJson(new URL(`${type}/${id}`, this.base), `${type} read`, { notFoundIsUndefined: true });
  }

  private sameOrigin(url: string): URL {
    const parsed = new URL(url, this.base);
    if (parsed.origin !== this.base.origin) throw new FhirRequestError('Encounter search: a next link points to another server; the token is not sent there', 200);
    return parsed;
  }

  private async getJson(url: URL, what: string, options: { notFoundIsUndefined?: boolean } = {}): Promise<unknown> {
    const maxRetries = this.options.maxRetries ?? 3;
    let renewed = false;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.auth.accessToken();
      let response: Response;
      try {
        response = await (this.options.fetch ?? fetch)(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
          signal: AbortSignal.timeout((this.options.timeoutSeconds ?? 15) * 1000),
        });
      } catch (error) {
        if (attempt < maxRetries) {
          await this.wait(undefined, attempt);
          continue;
        }
        throw new FhirUnavailableError(`${what}: the FHIR server could not be reached (${(error as Error).name})`, 0);
      }
      if (response.status === 401 && !renewed) {
        // An expired or revoked token: one new grant, one more try.
        await response.body?.cancel();
        this.auth.invalidate(token);
        renewed = true;
        this.stats.renewed += 1;
        attempt -= 1;
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        const retryAfter = retryAfterMs(response.headers.get('retry-after'), this.options.clock.now());
        const maxWait = (this.options.maxWaitSeconds ?? 20) * 1000;
        if (attempt < maxRetries && (retryAfter === undefined || retryAfter <= maxWait)) {
          this.stats.retried += 1;
          await this.wait(retryAfter, attempt);
          continue;
        }
        throw new FhirUnavailableError(`${what}: HTTP ${response.status} after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}`, response.status);
      }
      if ((response.status === 404 || response.status === 410) && options.notFoundIsUndefined) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new FhirRequestError(`${what}: HTTP ${response.status}`, response.status);
      }
      try {
        return (await response.json()) as unknown;
      } catch {
        throw new FhirRequestError(`${what}: the answer is not JSON`, response.status);
      }
    }
  }

  private async wait(retryAfter: number | undefined, attempt: number): Promise<void> {
    const ms = Math.min(retryAfter ?? 500 * 2 ** attempt, (this.options.maxWaitSeconds ?? 20) * 1000);
    await (this.options.sleep ?? ((delay: number) => new Promise<void>((resolve) => setTimeout(resolve, delay))))(ms);
  }
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
