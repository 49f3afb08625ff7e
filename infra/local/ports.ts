/**
 * Ports of the local stack: which environment variable moves which part, and the checks that turn
 * "address already in use" into a sentence that says what to do.
 */
import { createServer } from 'node:net';
import { LocalStackError } from './errors.ts';

/** Every part binds to the loopback interface only: the stack holds test data, not a service for the network. */
export const LOCAL_HOST = '127.0.0.1';

export interface LocalPorts {
  dynamodb: number;
  ses: number;
  bus: number;
  web: number;
}

/** The ports `npm start` uses unless told otherwise, and the variable that overrides each. */
export const PORT_SETTINGS: Record<keyof LocalPorts, { env: string; defaultPort: number; label: string }> = {
  dynamodb: { env: 'DYNAMODB_PORT', defaultPort: 8000, label: 'DynamoDB Local' },
  ses: { env: 'SES_PORT', defaultPort: 8005, label: 'SES emulator' },
  bus: { env: 'BUS_PORT', defaultPort: 4010, label: 'EventBridge endpoint' },
  web: { env: 'WEB_PORT', defaultPort: 3000, label: 'web server' },
};

/**
 * The local FHIR stand-in's port (infra/local/fhir/fhir-server.ts): not one of the stack's own
 * parts (a test starts the stand-in only when it asks for it), so not in LocalPorts.
 */
export const FHIR_PORT_SETTING = { env: 'FHIR_PORT', defaultPort: 4020, label: 'FHIR stand-in' } as const;

/** FHIR_PORT, or its default; 0 means "any free port". */
export function fhirPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[FHIR_PORT_SETTING.env];
  if (raw === undefined || raw === '') return FHIR_PORT_SETTING.defaultPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new LocalStackError(`${FHIR_PORT_SETTING.env} must be a port number (0–65535), got "${raw}"`);
  return port;
}

/** Reads the four ports from the environment; 0 means "any free port". */
export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalPorts {
  const ports = {} as LocalPorts;
  const problems: string[] = [];
  for (const [part, setting] of Object.entries(PORT_SETTINGS) as [keyof LocalPorts, (typeof PORT_SETTINGS)[keyof LocalPorts]][]) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      ports[part] = setting.defaultPort;
      continue;
    }
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push(`${setting.env} must be a port number (0–65535), got "${raw}"`);
    else ports[part] = port;
  }
  if (problems.length > 0) throw new LocalStackError(problems.join('; '));
  const taken = new Map<number, string>();
  for (const [part, port] of Object.entries(ports) as [keyof LocalPorts, number][]) {
    if (port === 0) continue;
    const other = taken.get(port);
    if (other) throw new LocalStackError(`${PORT_SETTINGS[other as keyof LocalPorts].env} and ${PORT_SETTINGS[part].env} are both ${port}; give each part its own port`);
    taken.set(port, part);
  }
  return ports;
}

/** A port the OS considers free right now (for a child process that cannot be given port 0). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOCAL_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Fails with a clear message when the port is taken. Needed before starting DynamoDB Local: if an
 * old instance still holds the port, the new one would exit while the readiness check happily
 * talks to the old one.
 */
export async function assertPortFree(port: number, part: keyof LocalPorts): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? portInUse(port, part) : error));
    server.listen(port, LOCAL_HOST, () => server.close(() => resolve()));
  });
}

/** The error for a port some other process holds, naming the variable that moves this part. */
export function portInUse(port: number, part: keyof LocalPorts | 'fhir'): LocalStackError {
  const setting = part === 'fhir' ? FHIR_PORT_SETTING : PORT_SETTINGS[part];
  return new LocalStackError(
    `Port ${port} (${setting.label}) is already in use — is another \`npm start\` running? Stop it, or set ${setting.env} to another port.`,
  );
}
