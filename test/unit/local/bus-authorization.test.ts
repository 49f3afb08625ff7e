/**
 * The local bus's authorization of each entry (infra/local/iam-enforcement.ts with the policies of
 * infra/local/function-policies.ts): the stack's bus policy and the caller's identity policy,
 * evaluated as AWS evaluates them.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_ADMINISTRATOR_ACCESS_KEY } from '../../../infra/local/dynamodb-local.ts';
import { localIam } from '../../../infra/local/function-policies.ts';
import type { StackEnvironment } from '../../../infra/local/functions.ts';
import { CALLER_HEADER, IamEnforcer } from '../../../infra/local/iam-enforcement.ts';
import type { PolicyDocumentJson } from '../../../infra/policy-document.ts';
import { INBOUND_SOURCE, PRODUCT_SOURCE } from '../../../shared/events/contracts.ts';

const STACK = { region: 'us-east-1', accountId: '000000000000', tableName: 'alliance-feedback', busName: 'alliance-feedback' } as StackEnvironment;
const ALLOW_EVERYTHING: PolicyDocumentJson = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

function enforcer(options: { integrationSources?: string[]; integrationPolicy?: PolicyDocumentJson } = {}) {
  const local = localIam(STACK, {}, options.integrationSources ? { integrationSources: options.integrationSources } : {});
  const policies = (name: string) => (name === 'integration' && options.integrationPolicy ? options.integrationPolicy : local.policies(name));
  return { iam: new IamEnforcer({ policies, region: STACK.region, accountId: STACK.accountId, resourcePolicyOf: local.resourcePolicyOf }), busArn: local.busArn };
}

describe('the bus policy, locally', () => {
  it('refuses the product source to a caller whose own policy allows everything: the deny is explicit', async () => {
    const { iam, busArn } = enforcer({ integrationPolicy: ALLOW_EVERYTHING });

    expect(await iam.authorizeBusEntry('integration', { busArn, source: PRODUCT_SOURCE, detailType: 'FeedbackSubmitted' })).toEqual({
      ErrorCode: 'NotAuthorizedForSourceException',
      ErrorMessage: expect.any(String),
    });
    expect(iam.denials()).toEqual([expect.objectContaining({ functionId: 'integration', decision: 'ExplicitlyDenied' })]);
    // Exact, not a prefix: the inbound adapters' source is not the product's.
    expect(await iam.authorizeBusEntry('integration', { busArn, source: INBOUND_SOURCE, detailType: 'FeedbackSubmitted' })).toBeUndefined();
  });

  it('lets each product role put what its declaration publishes, and the scheduler its follow-ups', async () => {
    const { iam, busArn } = enforcer();

    expect(await iam.authorizeBusEntry('web', { busArn, source: PRODUCT_SOURCE, detailType: 'FeedbackSubmitted' })).toBeUndefined();
    expect(await iam.authorizeBusEntry('scheduler', { busArn, source: PRODUCT_SOURCE, detailType: 'FeedbackExpiryTimeReached' })).toBeUndefined();
    // Its own policy allows no more: the alert function publishes nothing.
    expect((await iam.authorizeBusEntry('alert', { busArn, source: PRODUCT_SOURCE, detailType: 'FeedbackSubmitted' }))?.ErrorCode).toBe('AccessDeniedException');
  });

  it('holds the integration to SessionCompleted from its listed sources', async () => {
    const { iam, busArn } = enforcer({ integrationSources: ['com.your-ehr'] });

    expect(await iam.authorizeBusEntry('integration', { busArn, source: 'com.your-ehr', detailType: 'SessionCompleted' })).toBeUndefined();
    expect((await iam.authorizeBusEntry('integration', { busArn, source: 'com.other', detailType: 'SessionCompleted' }))?.ErrorCode).toBe('NotAuthorizedForSourceException');
    expect((await iam.authorizeBusEntry('integration', { busArn, source: 'com.your-ehr', detailType: 'FeedbackSubmitted' }))?.ErrorCode).toBe('NotAuthorizedForDetailTypeException');
  });
});

describe('who is calling the local bus', () => {
  const { iam } = enforcer();

  it('is the integration unless the enforcer vouches for a function or the administrator’s key signs', () => {
    expect(iam.busCallerOf({})).toBe('integration');
    expect(iam.busCallerOf({ [CALLER_HEADER]: 'web not-the-proof' })).toBe('integration');
    expect(iam.busCallerOf({ authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_ADMINISTRATOR_ACCESS_KEY}/20261102/us-east-1/events/aws4_request, SignedHeaders=host, Signature=x` })).toBe(
      'administrator',
    );
    expect(iam.busCallerOf({ authorization: 'AWS4-HMAC-SHA256 Credential=local/20261102/us-east-1/events/aws4_request, SignedHeaders=host, Signature=x' })).toBe('integration');
  });
});
