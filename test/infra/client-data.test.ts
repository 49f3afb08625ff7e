/**
 * The stack's part in erase, export and retention: the client index on the table (without widening
 * any function's grant), and the retention setting given to the functions that write sessions and
 * evaluations.
 */
import type { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CLIENT_INDEX } from '../../shared/adapters/table.ts';
import { RETENTION_SETTINGS } from '../../shared/config.ts';
import { synthStack } from './synth.ts';

const { stack, template } = synthStack();

describe('client data in the stack', () => {
  it('indexes the table by clientId, keys only', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([{ AttributeName: CLIENT_INDEX.partitionKey, AttributeType: 'S' }]),
      GlobalSecondaryIndexes: [
        { IndexName: CLIENT_INDEX.name, KeySchema: [{ AttributeName: CLIENT_INDEX.partitionKey, KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    });
  });

  it('grants no function access to the index', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy')) + JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'));

    expect(policies).not.toContain('/index/');
  });

  it('gives the retention setting (default keep) to the functions that write sessions and evaluations', () => {
    for (const fn of [stack.functions.request, stack.functions.evaluate]) {
      const variables = template.toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as CfnResource)].Properties.Environment.Variables;
      expect(variables).toMatchObject({ [RETENTION_SETTINGS.retentionDays.env]: 'keep' });
    }
  });

  it('refuses a retention period shorter than a session may arrive late plus a link lives', () => {
    expect(() => synthStack({ context: { retentionDays: '30', maxSessionAgeHours: '700', tokenExpiryHours: '72' } })).toThrow(
      /retentionDays.*\(30 days\) must exceed .*maxSessionAgeHours.*tokenExpiryHours.*\(772 hours\)/,
    );
  });
});
