/**
 * Where the operator commands (export, erase, redrive) connect: the local stack of `npm start` by
 * default, needing no credentials; AWS when given `--region`, with the SDK's usual credential chain
 * (AWS_PROFILE, SSO, environment, instance role).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_ADMINISTRATOR_CREDENTIALS, LOCAL_CREDENTIALS } from '../infra/local/dynamodb-local.ts';
import { LOCAL_HOST, portsFromEnv } from '../infra/local/ports.ts';
import { DEFAULT_TABLE_NAME } from '../shared/adapters/table.ts';
import { DEFAULT_BUS_NAME } from '../shared/events/contracts.ts';
import { UsageError } from './errors.ts';

/** The options every operator command takes, for parseOptions. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: 'string' },
  'bus-endpoint': { type: 'string' },
  table: { type: 'string' },
  bus: { type: 'string' },
  region: { type: 'string' },
} as const;

/** The help text of CONNECTION_OPTIONS. */
export const CONNECTION_HELP = `Where (default: the local stack of \`npm start\`, no credentials needed):
  --endpoint URL       DynamoDB endpoint (default http://${LOCAL_HOST}:8000, or DYNAMODB_PORT)
  --bus-endpoint URL   Endpoint of the bus and its queues (default http://${LOCAL_HOST}:4010, or BUS_PORT)
  --table NAME         Table (default ${DEFAULT_TABLE_NAME}; on AWS the stack's TableName output)
  --bus NAME           Event bus (default ${DEFAULT_BUS_NAME})
  --region REGION      Use AWS in REGION with your usual credentials (AWS_PROFILE, SSO, ...)
`;

export interface Connection {
  target: 'local' | 'aws';
  region: string;
  tableName: string;
  busName: string;
  /** The local bus's own URL (dead-letter listing and redrive); undefined on AWS. */
  localBusEndpoint: string | undefined;
  documentClient(): DynamoDBDocumentClient;
  eventBridge(): EventBridgeClient;
  sqs(): SQSClient;
  /** One line for the operator: which table (and bus) this is. */
  describe(): string;
  close(): void;
}

type ConnectionValues = { [K in keyof typeof CONNECTION_OPTIONS]?: string | undefined };

/** Reads the connection options; on AWS the table is required (CloudFormation named it) where it is used. */
export function connect(values: ConnectionValues, options: { needsTable?: boolean; env?: NodeJS.ProcessEnv } = {}): Connection {
  const local = values.region === undefined || values.endpoint !== undefined || values['bus-endpoint'] !== undefined;
  if (!local && values.table === undefined && options.needsTable !== false) throw new UsageError('on AWS, --table is required (the stack output TableName)');
  let ports: ReturnType<typeof portsFromEnv> | undefined;
  try {
    ports = local ? portsFromEnv(options.env ?? process.env) : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const region = values.region ?? 'us-east-1';
  const dynamoEndpoint = local ? (values.endpoint ?? `http://${LOCAL_HOST}:${ports!.dynamodb}`) : undefined;
  const busEndpoint = local ? (values['bus-endpoint'] ?? `http://${LOCAL_HOST}:${ports!.bus}`) : undefined;
  for (const [name, url] of [['--endpoint', dynamoEndpoint], ['--bus-endpoint', busEndpoint]] as const) {
    if (url !== undefined && !URL.canParse(url)) throw new UsageError(`${name} must be a URL, got "${url}"`);
  }
  // Locally the stand-ins accept any signature; the developer's own credentials stay out of it.
  const base = (endpoint: string | undefined) => ({ region, ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}) });
  const clients: { close(): void }[] = [];
  const made = <T extends { destroy(): void }>(client: T): T => {
    clients.push({ close: () => client.destroy() });
    return client;
  };
  const tableName = values.table ?? DEFAULT_TABLE_NAME;
  const busName = values.bus ?? DEFAULT_BUS_NAME;
  return {
    target: local ? 'local' : 'aws',
    region,
    tableName,
    busName,
    localBusEndpoint: busEndpoint,
    documentClient: () =>
      made(DynamoDBDocumentClient.from(made(new DynamoDBClient(base(dynamoEndpoint))), { marshallOptions: { removeUndefinedValues: true } })),
    // Locally as the administrator (the local bus tells callers apart by access key), who may put
    // the ClientErased that `erase` announces; on AWS, whoever the credentials are.
    eventBridge: () => made(new EventBridgeClient({ ...base(busEndpoint), ...(busEndpoint ? { credentials: LOCAL_ADMINISTRATOR_CREDENTIALS } : {}) })),
    sqs: () => made(new SQSClient(base(busEndpoint))),
    describe: () => (local ? `table ${tableName} at ${dynamoEndpoint} (local)` : `table ${tableName} in ${region}`),
    close: () => clients.forEach((client) => client.close()),
  };
}
