/**
 * The local Secrets Manager stand-in: any secret name, its ARN as AWS shapes it (fixed suffix),
 * the current and previous versions, and AWS's error names.
 */
import { describe, expect, it } from 'vitest';
import { LocalSecretsManager, localSecretArn } from '../../../infra/local/secrets-emulator.ts';

const STACK = { region: 'us-east-1', accountId: '000000000000' };

describe('the local Secrets Manager', () => {
  it('creates a secret of any name and reads it by name or by ARN', async () => {
    const secrets = new LocalSecretsManager(STACK);

    const created = await secrets.handle('secretsmanager.CreateSecret', { Name: 'alliance-feedback/calendar-feeds', SecretString: '["https://example.com/a.ics"]' });
    const byName = await secrets.handle('secretsmanager.GetSecretValue', { SecretId: 'alliance-feedback/calendar-feeds' });
    const byArn = await secrets.handle('secretsmanager.GetSecretValue', { SecretId: localSecretArn(STACK, 'alliance-feedback/calendar-feeds') });

    expect(created).toMatchObject({ status: 200, body: { ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:alliance-feedback/calendar-feeds-local0' } });
    expect(byName).toMatchObject({ status: 200, body: { SecretString: '["https://example.com/a.ics"]', VersionStages: ['AWSCURRENT'] } });
    expect(byArn).toEqual(byName);
  });

  it('keeps the value a put replaced as AWSPREVIOUS', async () => {
    const secrets = new LocalSecretsManager(STACK);
    secrets.put('s', 'one');

    await secrets.handle('secretsmanager.PutSecretValue', { SecretId: 's', SecretString: 'two' });

    expect(await secrets.handle('secretsmanager.GetSecretValue', { SecretId: 's' })).toMatchObject({ body: { SecretString: 'two' } });
    expect(await secrets.handle('secretsmanager.GetSecretValue', { SecretId: 's', VersionStage: 'AWSPREVIOUS' })).toMatchObject({ body: { SecretString: 'one', VersionStages: ['AWSPREVIOUS'] } });
  });

  it('answers with AWS’s error names, and leaves other services’ targets alone', async () => {
    const secrets = new LocalSecretsManager(STACK);
    secrets.put('s', 'one');

    expect(await secrets.handle('secretsmanager.GetSecretValue', { SecretId: 'missing' })).toMatchObject({ status: 400, body: { __type: 'ResourceNotFoundException' } });
    expect(await secrets.handle('secretsmanager.CreateSecret', { Name: 's', SecretString: 'x' })).toMatchObject({ status: 400, body: { __type: 'ResourceExistsException' } });
    expect(await secrets.handle('secretsmanager.RotateSecret', { SecretId: 's' })).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(await secrets.handle('AWSEvents.PutEvents', {})).toBeUndefined();
  });
});
