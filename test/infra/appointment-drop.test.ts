/**
 * The optional appointment drop bucket (context appointmentDropDays): absent by default; when set,
 * encrypted with the stack's key, private, TLS only, expiring, invoking the import function for
 * CSVs under incoming/ only, and the function may read incoming/ and write reports/, nothing else.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SYNTH_TIMEOUT, synthStack, synthValidationReport } from './synth.ts';

describe('appointment drop bucket', () => {
  it('is not created unless appointmentDropDays is set', () => {
    const { template, stack } = synthStack();
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(stack.appointmentDrop).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('s3:GetObject');
  }, SYNTH_TIMEOUT);

  it('is KMS-encrypted, private, TLS only, and deletes files and reports after the configured days', () => {
    const { template, stack, logicalId } = synthStack({ context: { appointmentDropDays: '14' } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack.key), 'Arn'] } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 14, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' })] },
      NotificationConfiguration: {
        LambdaConfigurations: [{
          Event: 's3:ObjectCreated:*',
          Function: { 'Fn::GetAtt': [logicalId(stack.functions.appointmentImport.function), 'Arn'] },
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }, { Name: 'suffix', Value: '.csv' }] } },
        }],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 's3.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
  }, SYNTH_TIMEOUT);

  it('lets the import function read incoming/ and write reports/ only, and use the key only through S3', () => {
    const { resource, stack } = synthStack({ context: { appointmentDropDays: '14' } });
    const statements = resource(stack.functions.appointmentImport.role.policy).Properties['PolicyDocument'].Statement as { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    const s3 = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('s3:')));
    expect(s3.map((statement) => [statement.Sid, statement.Action, JSON.stringify(statement.Resource)])).toEqual([
      ['ReadDroppedAppointmentFiles', 's3:GetObject', expect.stringContaining('/incoming/*')],
      ['WriteImportReports', 's3:PutObject', expect.stringContaining('/reports/*')],
    ]);
    expect(statements.find((statement) => statement.Sid === 'UseKeyThroughS3')).toMatchObject({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: { StringEquals: { 'kms:ViaService': expect.anything() } } });
    expect(statements.find((statement) => statement.Sid === 'PublishAllianceFeedbackInboundEvents')).toMatchObject({ Condition: { StringEquals: { 'events:source': ['alliance-feedback.inbound'], 'events:detail-type': ['SessionCompleted'] } } });
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag with its acknowledgements, for a second copy too', () => {
    for (const context of [{ appointmentDropDays: '30' }, { appointmentDropDays: '30', instance: 'staging' }]) {
      const { violations, error } = synthValidationReport({ context });
      expect(violations).toEqual([]);
      expect(error).toBeUndefined();
    }
  }, SYNTH_TIMEOUT * 2);
});
