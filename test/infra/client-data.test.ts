/**
 * The stack's part in erase, export and retention: no client index on the table (export and erase
 * scan instead), no function that may scan, and the retention setting given to the functions that
 * write sessions and evaluations.
 */
import { THERAPIST_INDEX } from '../../shared/adapters/items/therapist.ts';
import type { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RETENTION_SETTINGS } from '../../shared/config.ts';
import { synthStack } from './synth.ts';

const { stack, template } = synthStack();

describe('client data in the stack', () => {
  it('has no client index, so no session, form link or alert link pays an index write (the one index is the directory’s, keyed on therapist-only attributes)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: THERAPIST_INDEX.name,
          KeySchema: [
            { AttributeName: 'registeredBy', KeyType: 'HASH' },
            { AttributeName: 'therapistId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['timeZone', 'digest'] },
        },
      ],
      LocalSecondaryIndexes: Match.absent(),
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(table!['Properties'].AttributeDefinitions.map((definition: { AttributeName: string }) => definition.AttributeName)).not.toContain('clientId');
  });

  it('lets no function scan the table, and only the digest dispatch read an index: the directory’s (export and erase run as the operator)', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy')) + JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'));

    expect(policies).not.toContain('dynamodb:Scan');
    expect(policies.match(/\/index\/[\w-]+/g)).toEqual([`/index/${THERAPIST_INDEX.name}`]);
    const dispatch = JSON.stringify(template.toJSON().Resources[stack.getLogicalId(stack.functions.digestDispatch.role.policy.node.defaultChild as CfnResource)]);
    expect(dispatch).toContain(`/index/${THERAPIST_INDEX.name}`);
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
