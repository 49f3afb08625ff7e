/**
 * The optional front (context `front=true`): CloudFront with a WAF per-address rate limit, the
 * pages' security headers on every response, and an origin check so the execute-api URL does not
 * lead around it. Off by default; the web ACL lives in a us-east-1 stack of its own.
 */
import { Stack } from 'aws-cdk-lib';
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { FRONT_RATE_LIMIT, ORIGIN_CHECK_SOURCE, ORIGIN_SECRET_ENV, ORIGIN_SECRET_HEADER, responseHeadersFrom } from '../../infra/constructs/front.ts';
import { API_THROTTLE } from '../../infra/stack.ts';
import { SECURITY_HEADERS } from '../../functions/web/http.ts';
import { ConfigurationError } from '../../shared/config.ts';
import { newApp, SYNTH_TIMEOUT, synthStack } from './synth.ts';

/** CloudFront's managed policies, by their fixed ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

const off = synthStack();
const on = synthStack({ context: { front: 'true' }, region: 'eu-central-1' });
const wafTemplate = Template.fromStack(Stack.of(on.stack.front!.webAcl));
const distribution = on.resource(on.stack.front!.distribution);
const behaviour = distribution.Properties['DistributionConfig'].DefaultCacheBehavior;

describe('the front is off by default', () => {
  it('has no distribution, no web ACL stack, no authorizer, and links on the HTTP API', () => {
    off.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    off.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    expect(off.stack.node.root.node.children.filter((child) => child instanceof Stack)).toHaveLength(1);
    expect(off.template.toJSON().Outputs.FormBaseUrl.Value).toEqual(off.template.toJSON().Outputs.ApiUrl.Value);
  });
});

describe('the front, with context front=true', () => {
  it('puts the web ACL in us-east-1, scoped to CloudFront, and the product stack in its own region', () => {
    expect(Stack.of(on.stack.front!.webAcl).region).toBe('us-east-1');
    expect(on.stack.region).toBe('eu-central-1');
    wafTemplate.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
  });

  it('limits each client address with one rate-based rule answering 429, and adds no managed rule group', () => {
    const [webAcl] = Object.values(wafTemplate.findResources('AWS::WAFv2::WebACL'));
    const rules = webAcl!['Properties'].Rules as { Statement: Record<string, unknown>; Action: unknown }[];

    expect(rules).toHaveLength(1);
    expect(rules[0]!.Statement).toEqual({
      RateBasedStatement: { Limit: FRONT_RATE_LIMIT.requestsPerWindow, EvaluationWindowSec: FRONT_RATE_LIMIT.windowSeconds, AggregateKeyType: 'IP' },
    });
    expect(rules[0]!.Action).toEqual({ Block: { CustomResponse: { ResponseCode: 429, ResponseHeaders: expect.any(Array) } } });
  });

  it('answers a blocked address with the pages’ security headers itself (content-type is WAF’s to set)', () => {
    const [webAcl] = Object.values(wafTemplate.findResources('AWS::WAFv2::WebACL'));
    const headers = webAcl!['Properties'].Rules[0].Action.Block.CustomResponse.ResponseHeaders as { Name: string; Value: string }[];
    const { 'content-type': _contentType, ...expected } = SECURITY_HEADERS;

    expect(Object.fromEntries(headers.map((header) => [header.Name, header.Value]))).toEqual(expected);
  });

  it('holds one address far below the stage cap, so one abuser cannot use it all up', () => {
    const perSecond = FRONT_RATE_LIMIT.requestsPerWindow / FRONT_RATE_LIMIT.windowSeconds;

    expect(perSecond * 10).toBeLessThanOrEqual(API_THROTTLE.rateLimit);
  });

  it('associates the web ACL with the distribution through a cross-region reference', () => {
    expect(JSON.stringify(distribution.Properties['DistributionConfig'].WebACLId)).toMatch(/^{"Fn::GetAtt":\["ExportsReader\w+","\/cdk\/exports\//);
  });

  it('caches nothing, forwards everything the pages read but Host, and allows the form posts', () => {
    expect(behaviour.CachePolicyId).toBe(CACHING_DISABLED);
    expect(behaviour.OriginRequestPolicyId).toBe(ALL_VIEWER_EXCEPT_HOST_HEADER);
    expect(behaviour.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST']));
    expect(behaviour.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(behaviour.Compress).toBe(false);
  });

  it('reaches the API over https only, with the origin secret header', () => {
    const [origin] = distribution.Properties['DistributionConfig'].Origins;

    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(origin.OriginCustomHeaders).toEqual([{ HeaderName: ORIGIN_SECRET_HEADER, HeaderValue: expect.anything() }]);
    // The stack's own UUID, resolved at deploy: never a literal in the template.
    expect(JSON.stringify(origin.OriginCustomHeaders[0].HeaderValue)).toContain('AWS::StackId');
  });

  it('adds every security header of the pages but content-type to every response, never replacing the page’s own', () => {
    expect(behaviour.ResponseHeadersPolicyId).toEqual({ Ref: on.logicalId(on.stack.front!.responseHeadersPolicy) });
    const config = on.resource(on.stack.front!.responseHeadersPolicy).Properties['ResponseHeadersPolicyConfig'];
    const security = config.SecurityHeadersConfig;
    const custom = Object.fromEntries((config.CustomHeadersConfig.Items as { Header: string; Value: string; Override: boolean }[]).map((item) => [item.Header, item]));

    const sent: Record<string, string> = {
      'content-security-policy': security.ContentSecurityPolicy.ContentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'x-frame-options': security.FrameOptions.FrameOption,
      'referrer-policy': security.ReferrerPolicy.ReferrerPolicy,
      'strict-transport-security': `max-age=${security.StrictTransportSecurity.AccessControlMaxAgeSec}`,
      ...Object.fromEntries(Object.entries(custom).map(([name, item]) => [name, item.Value])),
    };
    const { 'content-type': _contentType, ...expected } = SECURITY_HEADERS;
    expect(security.ContentTypeOptions).toEqual({ Override: false });
    expect(sent).toEqual(expected);
    for (const header of [security.ContentSecurityPolicy, security.FrameOptions, security.ReferrerPolicy, security.StrictTransportSecurity, ...Object.values(custom)]) {
      expect(header.Override).toBe(false);
    }
  });

  it('lets only the front call the API: every route but the opt-out, the signed webhook and the FHIR notifications has the origin check, which reads the secret header', () => {
    const routes = Object.values(on.template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route['Properties'] as { RouteKey: string; AuthorizationType?: string; AuthorizerId?: unknown });
    const checked = routes.filter((route) => route.AuthorizationType === 'CUSTOM' && route.AuthorizerId !== undefined);

    expect(checked.map((route) => route.RouteKey).sort()).toEqual(['ANY /{proxy+}', 'GET /']);
    // The opt-out links of emails sent before the front (on the API's own URL) keep working; the
    // webhook authenticates every call by its signature, and the EHR keeps the URL it was given.
    // The FHIR server's notifications are authenticated by their header secret, like the webhook.
    expect(routes.filter((route) => !checked.includes(route)).map((route) => [route.RouteKey, route.AuthorizationType ?? 'NONE']).sort()).toEqual([
      ['GET /u/{token}', 'NONE'],
      ['POST /fhir/r4/notifications', 'NONE'],
      ['POST /hooks/v1/sessions', 'NONE'],
      ['POST /u/{token}', 'NONE'],
    ]);
    on.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: [`$request.header.${ORIGIN_SECRET_HEADER}`],
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 3600,
    });
    expect(JSON.stringify(on.resource(on.stack.originCheck!.function).Properties['Environment'].Variables[ORIGIN_SECRET_ENV])).toContain('AWS::StackId');
  });

  it('links to the distribution’s https domain and outputs it', () => {
    const outputs = on.template.toJSON().Outputs;

    expect(outputs.FormBaseUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [on.logicalId(on.stack.front!.distribution), 'DomainName'] }]] });
    expect(outputs.FrontDomainName.Value).toEqual({ 'Fn::GetAtt': [on.logicalId(on.stack.front!.distribution), 'DomainName'] });
    expect(outputs.FrontDistributionId).toBeDefined();
  });

  it(
    'serves the practice’s own host name with its certificate and TLS 1.2, and links there',
    () => {
      const own = synthStack({ context: { front: 'true', formBaseUrl: 'https://feedback.northside-therapy.com', frontCertificateArn: CERTIFICATE_ARN }, region: 'eu-west-1' });
      const config = own.resource(own.stack.front!.distribution).Properties['DistributionConfig'];

      expect(config.Aliases).toEqual(['feedback.northside-therapy.com']);
      expect(config.ViewerCertificate).toMatchObject({ AcmCertificateArn: CERTIFICATE_ARN, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
      expect(own.template.toJSON().Outputs.FormBaseUrl.Value).toBe('https://feedback.northside-therapy.com');
    },
    SYNTH_TIMEOUT,
  );
});

describe('front settings', () => {
  const build = (context: Record<string, unknown>) => () => buildApp(newApp({ context }), { region: 'eu-central-1' });

  it('refuses a formBaseUrl with the front unless it comes with the certificate for its host', () => {
    expect(build({ front: 'true', formBaseUrl: 'https://feedback.northside-therapy.com' })).toThrow(/frontCertificateArn/);
  });

  it('refuses a formBaseUrl with a path on the front', () => {
    expect(build({ front: 'true', formBaseUrl: 'https://feedback.northside-therapy.com/feedback', frontCertificateArn: CERTIFICATE_ARN })).toThrow(/no path/);
  });

  it('refuses a certificate without the front, and a certificate outside us-east-1', () => {
    expect(build({ frontCertificateArn: CERTIFICATE_ARN })).toThrow(ConfigurationError);
    expect(build({ front: 'true', formBaseUrl: 'https://feedback.northside-therapy.com', frontCertificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') })).toThrow(/us-east-1/);
  });

  it('refuses a front that is neither true nor false', () => {
    expect(build({ front: 'yes please' })).toThrow(/context "front"/);
  });

  it('takes true from cdk.json as a boolean', () => {
    expect(build({ front: true })().front).toBeDefined();
    expect(build({ front: false })().front).toBeUndefined();
  });
});

describe('the origin check (the authorizer’s inline code)', () => {
  const SECRET = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

  /** Loads the inline source as Lambda would, with the secret in its environment. */
  function loadHandler(secret: string | undefined): (event: { headers?: Record<string, string> }) => Promise<{ isAuthorized: boolean }> {
    const exports: { handler?: (event: { headers?: Record<string, string> }) => Promise<{ isAuthorized: boolean }> } = {};
    const env = secret === undefined ? {} : { [ORIGIN_SECRET_ENV]: secret };
    new Function('exports', 'require', 'process', ORIGIN_CHECK_SOURCE)(exports, (name: string) => (name === 'node:crypto' ? crypto : undefined), { env });
    return exports.handler!;
  }

  it('lets the front’s requests through', async () => {
    expect(await loadHandler(SECRET)({ headers: { [ORIGIN_SECRET_HEADER]: SECRET } })).toEqual({ isAuthorized: true });
  });

  it.each([
    ['a wrong secret of the same length', { [ORIGIN_SECRET_HEADER]: SECRET.replace('0', '1') }],
    ['a shorter secret', { [ORIGIN_SECRET_HEADER]: SECRET.slice(1) }],
    ['no header', {}],
  ])('refuses %s', async (_, headers) => {
    expect(await loadHandler(SECRET)({ headers })).toEqual({ isAuthorized: false });
  });

  it('refuses everything when it has no secret, even an empty header', async () => {
    expect(await loadHandler(undefined)({ headers: { [ORIGIN_SECRET_HEADER]: '' } })).toEqual({ isAuthorized: false });
  });
});

describe('security headers for CloudFront, from the pages’ list', () => {
  it('reads max-age and the flags of strict-transport-security', () => {
    const { securityHeadersBehavior } = responseHeadersFrom({ 'strict-transport-security': 'max-age=600; includeSubDomains; preload' });

    expect(securityHeadersBehavior.strictTransportSecurity?.accessControlMaxAge.toSeconds()).toBe(600);
    expect(securityHeadersBehavior.strictTransportSecurity).toMatchObject({ includeSubdomains: true, preload: true, override: false });
  });

  it('refuses a value CloudFront cannot send rather than dropping it', () => {
    expect(() => responseHeadersFrom({ 'referrer-policy': 'no-referrer-ever' })).toThrow(/referrer-policy/);
    expect(() => responseHeadersFrom({ 'strict-transport-security': 'max-age=soon' })).toThrow(/strict-transport-security/);
  });
});

describe('the stage limit is a cost cap, not a lock-out', () => {
  it('lets the link scanners of a 500-email backlog through: 1,500 requests at once, ~42/s while SES sends at 14/s', () => {
    expect(API_THROTTLE.burstLimit).toBeGreaterThanOrEqual(500 * 3);
    expect(API_THROTTLE.rateLimit).toBeGreaterThanOrEqual(14 * 3);
  });

  it('caps a month-long flood at the documented ~$260 (about $2 per million requests reaching the web function)', () => {
    const perMonth = API_THROTTLE.rateLimit * 30 * 24 * 3600 * (2 / 1_000_000);

    expect(perMonth).toBeLessThanOrEqual(260);
  });
});

describe('docs/deploy.md states the limits the stack sets', () => {
  const guide = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const number = (value: number) => value.toLocaleString('en-US');

  it('the stage cap', () => {
    expect(guide).toContain(`**${number(API_THROTTLE.rateLimit)} requests a second, bursts of ${number(API_THROTTLE.burstLimit)}**`);
  });

  it('the per-address limit', () => {
    expect(guide).toContain(`${number(FRONT_RATE_LIMIT.requestsPerWindow)} requests in any ${FRONT_RATE_LIMIT.windowSeconds / 60} minutes`);
  });
});
