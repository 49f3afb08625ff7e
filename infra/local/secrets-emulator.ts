/**
 * The local stand-in for AWS Secrets Manager: the JSON 1.1 protocol the SDK speaks
 * (`X-Amz-Target: secretsmanager.<Operation>`), served on the bus's port, for any secret name.
 * The functions read their secrets with the real SDK (AWS_ENDPOINT_URL_SECRETS_MANAGER points
 * here) under the local IAM enforcement (`secretsmanager:GetSecretValue` on the secret's ARN, and
 * the key through Secrets Manager), and `npx alliance webhook-secret` writes them the way it does
 * in AWS. In memory: a restarted stack starts without secrets, and `npm start` makes them again.
 *
 * Operations: CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret (AWSCURRENT and
 * AWSPREVIOUS versions are kept, as Secrets Manager keeps them); anything else is refused by name.
 */
import { randomUUID } from 'node:crypto';

/** The secrets the local stack makes, by SECRETS name (infra/function-access.ts). */
export const LOCAL_SECRET_NAMES = {
  webhook: 'alliance-feedback/webhook',
  /** The FHIR backend app's private key, made at each start for the FHIR stand-in (infra/local/fhir/). */
  fhirClientKey: 'alliance-feedback/fhir-client-key',
  /** The header secret of FHIR subscription notifications, made at each start. */
  fhirNotification: 'alliance-feedback/fhir-notification',
} as const;

/**
 * The ARN of a local secret. Secrets Manager appends `-` and six random characters to the name;
 * locally they are fixed, so the functions' policies (built before any secret exists) name it.
 */
export function localSecretArn(stack: { region: string; accountId: string }, name: string): string {
  return `arn:aws:secretsmanager:${stack.region}:${stack.accountId}:secret:${name}-local0`;
}

interface SecretVersion {
  versionId: string;
  value: string;
  createdAt: Date;
}

interface StoredSecret {
  arn: string;
  name: string;
  description: string | undefined;
  createdAt: Date;
  current: SecretVersion;
  previous: SecretVersion | undefined;
}

/** A JSON 1.1 answer: the status and the body the SDK deserializes (errors name their `__type`). */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

const TARGET_PREFIX = 'secretsmanager.';

export class LocalSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly stack: { region: string; accountId: string; now?: () => Date }) {}

  /** Creates (or, locally, replaces) a secret: what the local stack does at start. */
  put(name: string, value: string): string {
    const existing = this.secrets.get(name);
    if (existing) return this.putValue(existing, value).arn;
    return this.create(name, value, undefined).arn;
  }

  /** The secret's current value (tests, and `npm start`'s banner), or undefined. */
  currentValue(nameOrArn: string): string | undefined {
    return this.find(nameOrArn)?.current.value;
  }

  /** Answers a JSON 1.1 request when its target is Secrets Manager's; undefined otherwise. */
  async handle(target: string, input: unknown): Promise<JsonAnswer | undefined> {
    if (!target.startsWith(TARGET_PREFIX)) return undefined;
    const operation = target.slice(TARGET_PREFIX.length);
    const request = (input ?? {}) as Record<string, unknown>;
    switch (operation) {
      case 'CreateSecret': {
        const name = request['Name'];
        if (typeof name !== 'string' || name.length === 0) return invalid('Name is required.');
        if (this.secrets.has(name)) return error('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        if (typeof request['SecretString'] !== 'string') return invalid('Only SecretString values are supported locally.');
        const secret = this.create(name, request['SecretString'], typeof request['Description'] === 'string' ? request['Description'] : undefined);
        return ok({ ARN: secret.arn, Name: secret.name, VersionId: secret.current.versionId });
      }
      case 'GetSecretValue': {
        const secret = this.find(request['SecretId']);
        if (!secret) return notFound();
        const stage = request['VersionStage'] ?? 'AWSCURRENT';
        const version = stage === 'AWSPREVIOUS' ? secret.previous : stage === 'AWSCURRENT' ? secret.current : undefined;
        if (!version) return error('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${String(stage)}`);
        return ok({
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.versionId,
          SecretString: version.value,
          VersionStages: [version === secret.current ? 'AWSCURRENT' : 'AWSPREVIOUS'],
          CreatedDate: version.createdAt.getTime() / 1000,
        });
      }
      case 'PutSecretValue': {
        const secret = this.find(request['SecretId']);
        if (!secret) return notFound();
        if (typeof request['SecretString'] !== 'string') return invalid('Only SecretString values are supported locally.');
        this.putValue(secret, request['SecretString']);
        return ok({ ARN: secret.arn, Name: secret.name, VersionId: secret.current.versionId, VersionStages: ['AWSCURRENT'] });
      }
      case 'DescribeSecret': {
        const secret = this.find(request['SecretId']);
        if (!secret) return notFound();
        return ok({ ARN: secret.arn, Name: secret.name, Description: secret.description, CreatedDate: secret.createdAt.getTime() / 1000 });
      }
      default:
        return error('UnknownOperationException', `The local stack has no stand-in for ${target}.`);
    }
  }

  private now(): Date {
    return this.stack.now?.() ?? new Date();
  }

  private create(name: string, value: string, description: string | undefined): StoredSecret {
    const now = this.now();
    const secret: StoredSecret = { arn: localSecretArn(this.stack, name), name, description, createdAt: now, current: { versionId: randomUUID(), value, createdAt: now }, previous: undefined };
    this.secrets.set(name, secret);
    return secret;
  }

  private putValue(secret: StoredSecret, value: string): StoredSecret {
    secret.previous = secret.current;
    secret.current = { versionId: randomUUID(), value, createdAt: this.now() };
    return secret;
  }

  /** By name or by ARN; as in AWS, an ARN without the random suffix (a partial ARN) is not found. */
  private find(id: unknown): StoredSecret | undefined {
    if (typeof id !== 'string') return undefined;
    return this.secrets.get(id) ?? [...this.secrets.values()].find((secret) => secret.arn === id);
  }
}

const ok = (body: unknown): JsonAnswer => ({ status: 200, body });
const error = (type: string, message: string): JsonAnswer => ({ status: 400, body: { __type: type, message } });
const invalid = (message: string): JsonAnswer => error('InvalidParameterException', message);
const notFound = (): JsonAnswer => error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
