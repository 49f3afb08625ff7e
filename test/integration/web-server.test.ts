/**
 * The HTTP API stand-in on its own, with a recording handler: what a request becomes (payload
 * format 2.0) and how a function's result is written back.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../infra/local/local-queue.ts';
import { silentLog } from '../../infra/local/log.ts';
import { LocalWebServer } from '../../infra/local/web-server.ts';
import { FUNCTIONS } from '../../infra/routes.ts';

let server: LocalWebServer;
let received: APIGatewayProxyEventV2 | undefined;
let reply: APIGatewayProxyResultV2 | (() => never) = { statusCode: 204 };

beforeAll(async () => {
  server = new LocalWebServer({
    port: 0,
    region: 'us-east-1',
    accountId: '000000000000',
    log: silentLog,
    health: () => ({ status: 'ok', parts: { web: { state: 'up' } } }),
    context: () => lambdaContext(FUNCTIONS.web, { region: 'us-east-1', accountId: '000000000000' }),
  });
  await server.listen();
  server.setHandler(async (event) => {
    received = event;
    return typeof reply === 'function' ? reply() : reply;
  });
});

afterAll(() => server?.stop());

async function request(path: string, init: RequestInit = {}) {
  received = undefined;
  const response = await fetch(`${server.endpoint}${path}`, init);
  return { response, body: await response.text(), event: received as APIGatewayProxyEventV2 | undefined };
}

describe('the local HTTP API', () => {
  it('turns a request into a payload format 2.0 event', async () => {
    reply = { statusCode: 204 };
    const { event } = await request('/f/abc%20d?x=1&x=2&y=3', { headers: { 'X-Custom': 'A', Cookie: 'a=1; b=2', 'User-Agent': 'test-agent' } });

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/f/abc%20d',
      rawQueryString: 'x=1&x=2&y=3',
      queryStringParameters: { x: '1,2', y: '3' },
      cookies: ['a=1', 'b=2'],
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/f/abc%20d', userAgent: 'test-agent' }, stage: '$default' },
    });
    expect(event!.headers['x-custom']).toBe('A');
    expect(event!.headers).not.toHaveProperty('cookie');
    expect(event!.body).toBeUndefined();
  });

  it('passes a form post base64-encoded, as HTTP API does for non-text content types', async () => {
    reply = { statusCode: 204 };
    const { event } = await request('/f/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'bond=4&comment=caf%C3%A9' });

    expect(event).toMatchObject({ isBase64Encoded: true, requestContext: { http: { method: 'POST' } } });
    expect(Buffer.from(event!.body!, 'base64').toString('utf8')).toBe('bond=4&comment=caf%C3%A9');
  });

  it('passes a JSON body as text', async () => {
    reply = { statusCode: 204 };
    const { event } = await request('/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });

    expect(event).toMatchObject({ isBase64Encoded: false, body: '{"a":1}' });
  });

  it('writes back status, headers, one Set-Cookie per cookie and a base64 body decoded', async () => {
    reply = {
      statusCode: 201,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-frame-options': 'DENY' },
      cookies: ['a=1; HttpOnly', 'b=2; Secure'],
      body: Buffer.from('héllo', 'utf8').toString('base64'),
      isBase64Encoded: true,
    };
    const { response, body } = await request('/anything');

    expect(response.status).toBe(201);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.getSetCookie()).toEqual(['a=1; HttpOnly', 'b=2; Secure']);
    expect(body).toBe('héllo');
  });

  it('answers 500 like API Gateway when the function throws', async () => {
    reply = () => {
      throw new Error('boom');
    };
    const { response, body } = await request('/anything');

    expect(response.status).toBe(500);
    expect(JSON.parse(body)).toEqual({ message: 'Internal Server Error' });
  });

  it('answers /health itself, without calling the function', async () => {
    const { response, event } = await request('/health');

    expect(response.status).toBe(200);
    expect(event).toBeUndefined();
  });
});
