/**
 * The local stand-in for API Gateway's HTTP API: every request becomes an
 * APIGatewayProxyEventV2 (payload format 2.0) for the web function, whose structured result is
 * written back. `GET /health` is answered here, with the status of every part of the stack.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { LogLine } from './log.ts';
import { HttpListener } from './http-listener.ts';
import { LOCAL_HOST } from './ports.ts';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** HTTP API's request payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HealthReport {
  status: 'ok' | 'starting' | 'degraded' | 'stopping';
  parts: Record<string, { state: 'up' | 'starting' | 'down'; url?: string; [key: string]: unknown }>;
}

export interface LocalWebServerOptions {
  port: number;
  region: string;
  accountId: string;
  log: LogLine;
  health: () => HealthReport;
  /** A fresh Lambda context per request. */
  context: () => Context;
}

/** A route with its own function (infra/routes.ts' HTTP_ROUTES), matched exactly before the web function's catch-all. */
export interface LocalHttpRoute {
  method: string;
  path: string;
  handler: HttpHandler;
  /** A fresh Lambda context of the route's own function per request. */
  context: () => Context;
}

export class LocalWebServer {
  private readonly http: HttpListener;
  private handler: HttpHandler | undefined;
  private routes: readonly LocalHttpRoute[] = [];

  constructor(private readonly options: LocalWebServerOptions) {
    this.http = new HttpListener(options.port, 'web');
  }

  /** The bound port once listening; 0 before. */
  get port(): number {
    return this.http.port;
  }

  get endpoint(): string {
    return this.http.endpoint;
  }

  listen(): Promise<void> {
    return this.http.listen((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.options.log('web', `internal error in the local web server: ${error instanceof Error ? error.name : 'Error'}`);
        if (!response.headersSent) writeText(response, 500, 'Internal Server Error');
        else response.destroy();
      });
    });
  }

  /** Connects the web function; until then every path but /health answers 503. */
  setHandler(handler: HttpHandler): void {
    this.handler = handler;
  }

  /** Connects the routes that have their own function (as API Gateway's more specific routes). */
  setRoutes(routes: readonly LocalHttpRoute[]): void {
    this.routes = routes;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname === '/health' && (request.method === 'GET' || request.method === 'HEAD')) {
      const report = this.options.health();
      const text = JSON.stringify(report, null, 2);
      response.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : text);
      return;
    }
    if (!this.handler) return writeText(response, 503, 'The local stack is still starting.');
    const body = await readBody(request);
    if (body === undefined) return writeText(response, 413, 'Request Entity Too Large');
    const started = performance.now();
    const event = toApiGatewayEvent(request, body, { accountId: this.options.accountId });
    const route = this.routes.find((candidate) => candidate.method === request.method && candidate.path === url.pathname);
    let result: APIGatewayProxyResultV2;
    try {
      result = route ? await route.handler(event, route.context()) : await this.handler(event, this.options.context());
    } catch (error) {
      // API Gateway answers a failed invocation with a bare 500; the name is enough for the console.
      this.options.log('web', `${request.method} ${maskPath(url.pathname)}: the function threw ${error instanceof Error ? error.name : 'an error'}`);
      return writeJson(response, 500, { message: 'Internal Server Error' });
    }
    const status = writeResult(response, result);
    this.options.log('web', `${request.method} ${maskPath(url.pathname)} → ${status} (${Math.round(performance.now() - started)} ms)`);
  }
}

/**
 * Converts a Node request into the HTTP API payload format 2.0 event, the way API Gateway does:
 * lower-cased headers with repeats joined by commas, cookies split out, query parameters joined,
 * and a body that is base64-encoded unless its content type is text or JSON (so a form post
 * arrives base64-encoded, as it does in AWS).
 */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer, options: { accountId: string }): APIGatewayProxyEventV2 {
  const rawUrl = request.url ?? '/';
  const queryIndex = rawUrl.indexOf('?');
  const rawPath = queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex);
  const rawQueryString = queryIndex === -1 ? '' : rawUrl.slice(queryIndex + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = (request.rawHeaders[index] ?? '').toLowerCase();
    const value = request.rawHeaders[index + 1] ?? '';
    if (name === 'cookie') {
      cookies = [...(cookies ?? []), ...value.split(';').map((cookie) => cookie.trim()).filter(Boolean)];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers['x-forwarded-for'] ??= request.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-proto'] ??= 'http';

  let queryStringParameters: Record<string, string> | undefined;
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters ??= {};
    queryStringParameters[key] = queryStringParameters[key] === undefined ? value : `${queryStringParameters[key]},${value}`;
  }

  const now = new Date();
  const contentType = headers['content-type'] ?? '';
  const isText = /^(text\/|application\/(json|[\w.+-]+\+json)\b)/i.test(contentType);
  const hasBody = body.length > 0;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: options.accountId,
      apiId: 'local',
      domainName: headers['host'] ?? LOCAL_HOST,
      domainPrefix: (headers['host'] ?? LOCAL_HOST).split('.')[0] ?? 'local',
      http: {
        method: request.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  };
}

/**
 * Writes a function result back as API Gateway does: a structured result with its status,
 * headers, cookies (one Set-Cookie each) and body (decoded when base64); any other value is
 * sent as a 200 JSON body.
 */
export function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2): number {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const text = typeof result === 'string' ? result : JSON.stringify(result);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(text);
    return 200;
  }
  const status = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
  const body = result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  if (body !== undefined && !response.hasHeader('content-type')) response.setHeader('content-type', 'application/json');
  response.writeHead(status);
  response.end(body);
  return status;
}

/** Paths carry form tokens (secrets): the console shows only the first segment. */
export function maskPath(path: string): string {
  const [first, ...rest] = path.split('/').filter(Boolean);
  return first === undefined ? '/' : `/${first}${rest.length > 0 ? '/…' : ''}`;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function writeText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function writeJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** API Gateway's `requestContext.time` format: `25/Nov/2026:18:00:00 +0000`. */
function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
