/**
 * The container-wide Secrets Manager client, for every secret a function reads (the webhook's, the
 * calendar feed list). One client, so the local stack instruments it once (infra/local/sdk-seam.ts:
 * IAM enforcement and fault injection) and no reader escapes that.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let sharedSecretsManagerClient: SecretsManagerClient | undefined;

/** The container-wide Secrets Manager client (endpoint from `AWS_ENDPOINT_URL_SECRETS_MANAGER` when set). */
export function getSecretsManagerClient(): SecretsManagerClient {
  sharedSecretsManagerClient ??= new SecretsManagerClient({});
  return sharedSecretsManagerClient;
}
