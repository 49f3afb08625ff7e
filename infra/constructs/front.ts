/**
 * The optional front (context `front=true`): a CloudFront distribution before the HTTP API, with an
 * AWS WAF web ACL that limits each client address, and a response headers policy that gives every
 * response — API Gateway's own 403/404/429/5xx included — the pages' security headers.
 *
 * CloudFront takes web ACLs only from us-east-1, so the web ACL has a stack of its own there
 * (FrontWafStack); the product's stack, in any region, reads its ARN through CDK's cross-region
 * references, and `npx cdk deploy --all` deploys both in order.
 */
import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  type ResponseCustomHeader,
  type ResponseSecurityHeadersBehavior,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { FunctionRole } from './function-role.ts';

/**
 * Requests one client address may make in WAF's evaluation window before WAF answers 429 for the
 * rest of it. A person never comes near: answering a form is 3 requests (form, post, thank-you
 * page), a therapist acknowledging a week of alerts a few dozen. A mail gateway that scans every
 * link of a backlog from one address makes about 3 requests per email (form and opt-out link, a
 * retry), so 1,000 lets one gateway address scan 300 emails in 5 minutes; large providers scan
 * from pools of addresses. One abusive address is held to ~3 requests/s on average, a fifteenth of
 * the stage's cost cap (API_THROTTLE): locking every client out takes at least 15 addresses at once.
 */
export const FRONT_RATE_LIMIT = { requestsPerWindow: 1_000, windowSeconds: 300 } as const;

/** The headers the web function sets that CloudFront must not add to every response: content-type belongs to each response. */
const NOT_FOR_EVERY_RESPONSE = new Set(['content-type']);

/** The stack in us-east-1 that holds the front's web ACL (CloudFront takes web ACLs from there only). */
export class FrontWafStack extends Stack {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: StackProps & { securityHeaders: Readonly<Record<string, string>> }) {
    const { securityHeaders, ...stackProps } = props;
    super(scope, id, stackProps);
    const metricPrefix = id.replace(/[^A-Za-z0-9]/g, '');
    // No AWS managed rule group: the common rule set's body-size and XSS rules would block a
    // client's long or unusual comment (the form takes 2,000 characters of free text, and the
    // pages escape it and forbid every script by CSP anyway), there is no SQL, no file path and
    // no Java to attack, and the IP reputation lists would also refuse clients who use a VPN or
    // Tor for privacy — people whose feedback the practice wants. Each group would add $1/month.
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'Alliance Feedback: per-address rate limit for the client pages',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: metricPrefix, sampledRequestsEnabled: true },
      rules: [
        {
          name: 'RateLimitPerClientAddress',
          priority: 0,
          // 429, as a client of any rate limit expects, with the pages' security headers: WAF
          // answers at the edge, and it is not documented that CloudFront's response headers
          // policy reaches WAF's own answers, so they carry the headers themselves.
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                responseHeaders: Object.entries(securityHeaders)
                  .filter(([name]) => !NOT_FOR_EVERY_RESPONSE.has(name.toLowerCase()))
                  .map(([name, value]) => ({ name, value })),
              },
            },
          },
          statement: {
            rateBasedStatement: {
              limit: FRONT_RATE_LIMIT.requestsPerWindow,
              evaluationWindowSec: FRONT_RATE_LIMIT.windowSeconds,
              // The address CloudFront sees: a forwarded header would let anyone choose their own.
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${metricPrefix}RateLimit`, sampledRequestsEnabled: true },
        },
      ],
    });
  }
}


/**
 * A response headers policy's settings from the web function's header list (functions/web/http.ts),
 * so the front and the pages cannot disagree: CloudFront's typed security headers where it has one,
 * custom headers for the rest. Never overriding: the web function's own value wins where it set one.
 */
export function responseHeadersFrom(headers: Readonly<Record<string, string>>): { securityHeadersBehavior: ResponseSecurityHeadersBehavior; customHeaders: ResponseCustomHeader[] } {
  const security: { -readonly [K in keyof ResponseSecurityHeadersBehavior]: ResponseSecurityHeadersBehavior[K] } = {};
  const customHeaders: ResponseCustomHeader[] = [];
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (NOT_FOR_EVERY_RESPONSE.has(name)) continue;
    switch (name) {
      case 'content-security-policy':
        security.contentSecurityPolicy = { contentSecurityPolicy: value, override: false };
        break;
      case 'x-content-type-options':
        if (value !== 'nosniff') throw new Error(`x-content-type-options "${value}": CloudFront can only send nosniff`);
        security.contentTypeOptions = { override: false };
        break;
      case 'x-frame-options': {
        const option = Object.values(HeadersFrameOption).find((candidate) => candidate === value.toUpperCase());
        if (option === undefined) throw new Error(`x-frame-options "${value}" is not one CloudFront can send`);
        security.frameOptions = { frameOption: option, override: false };
        break;
      }
      case 'referrer-policy': {
        const policy = Object.values(HeadersReferrerPolicy).find((candidate) => candidate === value.toLowerCase());
        if (policy === undefined) throw new Error(`referrer-policy "${value}" is not one CloudFront can send`);
        security.referrerPolicy = { referrerPolicy: policy, override: false };
        break;
      }
      case 'strict-transport-security': {
        const match = /^max-age=(\d+)((?:\s*;\s*(?:includeSubDomains|preload))*)\s*$/i.exec(value);
        if (match === null) throw new Error(`strict-transport-security "${value}" is not one CloudFront can send`);
        const flags = (match[2] ?? '').toLowerCase();
        security.strictTransportSecurity = {
          accessControlMaxAge: Duration.seconds(Number(match[1])),
          includeSubdomains: flags.includes('includesubdomains'),
          preload: flags.includes('preload'),
          override: false,
        };
        break;
      }
      default:
        customHeaders.push({ header: name, value, override: false });
    }
  }
  return { securityHeadersBehavior: security, customHeaders };
}

/** The header CloudFront adds to every request it sends to the API, carrying the origin secret. */
export const ORIGIN_SECRET_HEADER = 'x-origin-verify';

/** The variable that gives the origin check its secret. */
export const ORIGIN_SECRET_ENV = 'ORIGIN_SECRET';

/**
 * The origin check's whole code (CommonJS, no dependencies), inline in the template: it compares
 * the header CloudFront adds with the secret in constant time. API Gateway answers a request
 * without the header 401 before calling it, and caches its answer per header value for an hour.
 */
export const ORIGIN_CHECK_SOURCE = `const { timingSafeEqual } = require('node:crypto');
const expected = Buffer.from(process.env.${ORIGIN_SECRET_ENV} ?? '', 'utf8');
exports.handler = async (event) => {
  const given = Buffer.from((event.headers ?? {})['${ORIGIN_SECRET_HEADER}'] ?? '', 'utf8');
  return { isAuthorized: expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected) };
};
`;

/**
 * An HTTP API has no resource policy, so nothing but a check at the API can tell the front's
 * requests from someone calling the execute-api URL directly (around the WAF). CloudFront sends a
 * secret header; this Lambda authorizer, the API's default for every route, lets only those
 * requests through. The secret is the stack's own id (the random UUID CloudFormation gives the
 * stack at creation): unknown outside the account, stable for the stack's life, and free, where a
 * Secrets Manager secret would cost $0.40 a month.
 */
export class OriginCheck extends Construct {
  readonly function: LambdaFunction;
  readonly role: FunctionRole;
  readonly authorizer: HttpLambdaAuthorizer;
  /** The secret the front sends in ORIGIN_SECRET_HEADER (a deploy-time token). */
  readonly secret: string;

  constructor(scope: Construct, id: string, props: { logKey: IKey; logRetention: RetentionDays }) {
    super(scope, id);
    this.secret = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logKey });
    this.role = new FunctionRole(this, 'Role', { description: 'Alliance Feedback origin check: lets only the front call the API' });
    logGroup.grantWrite(this.role);
    this.function = new LambdaFunction(this, 'Function', {
      description: 'Alliance Feedback: lets only the CloudFront front call the API',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 128,
      timeout: Duration.seconds(3),
      handler: 'index.handler',
      code: Code.fromInline(ORIGIN_CHECK_SOURCE),
      role: this.role,
      logGroup,
      environment: { [ORIGIN_SECRET_ENV]: this.secret },
    });
    // Ordered by the role's ARN already (see ProductFunction): the extra DependsOn is cfn-lint's W3005.
    this.function.node.defaultChild?.node.removeDependency(this.role);
    this.authorizer = new HttpLambdaAuthorizer('OriginCheck', this.function, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [`$request.header.${ORIGIN_SECRET_HEADER}`],
      resultsCacheTtl: Duration.hours(1),
    });
  }
}

export interface FrontProps {
  api: HttpApi;
  /** The API's check for the secret the distribution sends. */
  originCheck: OriginCheck;
  /** FrontWafStack's web ACL (its ARN is a cross-region reference). */
  webAcl: CfnWebACL;
  /** The pages' security headers (functions/web/http.ts SECURITY_HEADERS). */
  securityHeaders: Readonly<Record<string, string>>;
  /** The practice's own host name and its us-east-1 certificate; without them the distribution's domain. */
  ownDomain?: { hostName: string; certificateArn: string };
}

export class Front extends Construct {
  readonly distribution: Distribution;
  /** In FrontWafStack (us-east-1), not in this construct's stack. */
  readonly webAcl: CfnWebACL;
  readonly responseHeadersPolicy: ResponseHeadersPolicy;
  /** The base of every link: `https://` and the own host name, or the distribution's domain. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: FrontProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.webAcl = props.webAcl;

    const { securityHeadersBehavior, customHeaders } = responseHeadersFrom(props.securityHeaders);
    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Alliance Feedback: the pages\' security headers on every response, API Gateway\'s own errors included',
      securityHeadersBehavior,
      customHeadersBehavior: { customHeaders },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Alliance Feedback: client pages',
      defaultBehavior: {
        origin: new HttpOrigin(Fn.select(2, Fn.split('/', props.api.apiEndpoint)), {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          // Replaces any header of that name a viewer sends.
          customHeaders: { [ORIGIN_SECRET_HEADER]: props.originCheck.secret },
        }),
        // Forms post; the opt-out takes RFC 8058 one-click posts.
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Every page carries a client's token or answers: nothing may be kept at the edge.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Everything the pages read (path and query, Content-Type, Accept-Language,
        // Sec-Fetch-Site, the body) but Host, which must stay API Gateway's own name.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: this.responseHeadersPolicy,
        // Pages of a few KB that carry a token gain little from compression and would open the
        // door to BREACH-style guessing of it; API Gateway does not compress them either.
        compress: false,
      },
      webAclId: props.webAcl.attrArn,
      // North America, Europe and Israel: a practice's clients are local, and this class is the
      // cheapest; clients elsewhere are still served, from a farther edge.
      priceClass: PriceClass.PRICE_CLASS_100,
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      ...(props.ownDomain === undefined
        ? {}
        : {
            domainNames: [props.ownDomain.hostName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.ownDomain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }),
    });

    this.url = props.ownDomain === undefined ? `https://${this.distribution.distributionDomainName}` : `https://${props.ownDomain.hostName}`;

    new CfnOutput(stack, 'FrontDomainName', {
      value: this.distribution.distributionDomainName,
      description: props.ownDomain === undefined ? 'The front (CloudFront): links in emails use this domain' : `Point ${props.ownDomain.hostName} (CNAME or alias record) at this domain`,
    });
    new CfnOutput(stack, 'FrontDistributionId', { value: this.distribution.distributionId });
  }
}
