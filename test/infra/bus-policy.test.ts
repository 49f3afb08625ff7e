/**
 * The bus is a trust boundary: its resource policy refuses the product's own source to every
 * principal but the roles that publish product events, and the integration policy the stack
 * outputs lets an EHR put SessionCompleted and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { FUNCTION_ACCESS, productPublishers, type FunctionAccess } from '../../infra/function-access.ts';
import { FUNCTIONS } from '../../infra/routes.ts';
import { INBOUND_SOURCE, PRODUCT_SOURCE, sourceOf } from '../../shared/events/contracts.ts';
import { SYNTH_TIMEOUT, synthStack } from './synth.ts';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('the bus policy', () => {
  const { stack, template, logicalId } = synthStack();
  const busStatements = () => Object.values(template.findResources('AWS::Events::EventBusPolicy')).map((policy) => policy['Properties'].Statement as Statement);

  it('denies PutEvents with the product source, exactly, to every principal but the product’s publishing roles and the scheduler’s', () => {
    const denies = busStatements().filter((statement) => statement.Effect === 'Deny');
    expect(denies).toHaveLength(1);
    const [deny] = denies;

    expect(deny!.Principal).toBe('*');
    expect(asArray(deny!.Action)).toEqual(['events:PutEvents']);
    expect(deny!.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.bus), 'Arn'] });
    // Exact, not StringLike: INBOUND_SOURCE (`alliance-feedback.inbound`) stays allowed.
    expect(deny!.Condition?.['StringEquals']).toEqual({ 'events:source': [PRODUCT_SOURCE] });
    // The one product event the administrator's `npx alliance erase` puts with its own credentials.
    expect(deny!.Condition?.['StringNotEquals']).toEqual({ 'events:detail-type': ['ClientErased', 'ClientContactRestored', 'TherapistRegistered', 'DigestTimeReached'] });
    expect(Object.keys(deny!.Condition ?? {}).some((operator) => /Like/.test(operator))).toBe(false);
    const roleArn = (role: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(role as never), 'Arn'] });
    const publishing = Object.values(FUNCTIONS).filter((definition) => ((FUNCTION_ACCESS[keyOf(definition.id)] as FunctionAccess).publishes ?? []).some((event) => sourceOf(event) === PRODUCT_SOURCE));
    const expected = [...publishing.map((definition) => roleArn(stack.functionFor(definition).role)), roleArn(stack.schedulerRole)];

    expect(asArray(deny!.Condition?.['ArnNotEquals']?.['aws:PrincipalArn'])).toEqual(expected);
    // The alert function publishes nothing: it is not among them.
    expect(publishing.map((definition) => definition.id)).not.toContain(FUNCTIONS.alert.id);
    expect(productPublishers().scheduler).toBe(true);
  });

  it(
    'lets only the listed administrator principals announce the administrator’s commands, when the practice lists them',
    () => {
      const admin = 'arn:aws:iam::111122223333:role/practice-admin';
      const listed = synthStack({ context: { administratorPrincipals: admin } });
      const denies = Object.values(listed.template.findResources('AWS::Events::EventBusPolicy'))
        .map((policy) => policy['Properties'].Statement as Statement)
        .filter((statement) => statement.Effect === 'Deny');
      const administrators = denies.find((statement) => statement.Sid === 'cdk-OnlyTheAdministratorsAnnounceTheirCommands');

      expect(administrators?.Condition).toEqual({
        StringEquals: { 'events:source': [PRODUCT_SOURCE], 'events:detail-type': ['ClientErased', 'ClientContactRestored', 'TherapistRegistered', 'DigestTimeReached'] },
        ArnNotEquals: { 'aws:PrincipalArn': [admin] },
      });
      // Unlisted (this file's stack): the one deny above, and the exemption holds for the account.
      expect(busStatements().some((statement) => statement.Sid === 'cdk-OnlyTheAdministratorsAnnounceTheirCommands')).toBe(false);
    },
    SYNTH_TIMEOUT,
  );

  it('grants no other account anything unless the practice lists it', () => {
    expect(busStatements().filter((statement) => statement.Effect === 'Allow')).toEqual([]);
  });

  it(
    'grants listed accounts SessionCompleted only, with the listed sources',
    () => {
      const listed = synthStack({ context: { integrationAccounts: '444455556666, 777788889999', integrationSources: 'com.your-ehr' } });
      const allows = Object.values(listed.template.findResources('AWS::Events::EventBusPolicy'))
        .map((policy) => policy['Properties'].Statement as Statement)
        .filter((statement) => statement.Effect === 'Allow');

      expect(allows).toHaveLength(1);
      expect(allows[0]!.Principal).toEqual({ AWS: ['arn:aws:iam::444455556666:root', 'arn:aws:iam::777788889999:root'] });
      expect(allows[0]!.Condition).toEqual({ StringEquals: { 'events:detail-type': ['SessionCompleted'], 'events:source': ['com.your-ehr'] } });
    },
    SYNTH_TIMEOUT,
  );
});

describe('the integration policy', () => {
  const integrationStatements = (template: ReturnType<typeof synthStack>['template']) => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((policy) => String(policy['Properties'].Description).includes('EHR integration'));
    expect(policies).toHaveLength(1);
    return policies[0]!['Properties'].PolicyDocument.Statement as Statement[];
  };

  it('allows PutEvents of SessionCompleted on the bus only, never with the product source, and is an output', () => {
    const { stack, template, logicalId } = synthStack();
    const statements = integrationStatements(template);

    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [logicalId(stack.bus), 'Arn'] } });
    expect(statements[0]!.Condition).toEqual({ StringEquals: { 'events:detail-type': ['SessionCompleted'] }, StringNotEquals: { 'events:source': [PRODUCT_SOURCE] } });
    expect(template.toJSON().Outputs['IntegrationPolicyArn'].Value).toEqual({ Ref: logicalId(stack.integrationPolicy) });
  });

  it(
    'allows only the listed sources when the practice lists them',
    () => {
      const statements = integrationStatements(synthStack({ context: { integrationSources: `com.your-ehr,${INBOUND_SOURCE}` } }).template);

      expect(statements[0]!.Condition).toEqual({ StringEquals: { 'events:detail-type': ['SessionCompleted'], 'events:source': ['com.your-ehr', INBOUND_SOURCE] } });
    },
    SYNTH_TIMEOUT,
  );

  it('refuses a listed source that is the product’s own or an AWS service’s', () => {
    expect(() => synthStack({ context: { integrationSources: `com.your-ehr,${PRODUCT_SOURCE}` } })).toThrow(/integrationSources.*must not list "alliance-feedback"/s);
    expect(() => synthStack({ context: { integrationSources: 'aws.ses' } })).toThrow(/integrationSources.*aws\./s);
    expect(() => synthStack({ context: { integrationAccounts: '1234' } })).toThrow(/integrationAccounts.*12-digit/s);
  }, SYNTH_TIMEOUT);
});

function keyOf(id: string): keyof typeof FUNCTION_ACCESS {
  return (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).find((key) => FUNCTIONS[key].id === id)!;
}
