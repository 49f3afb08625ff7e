/**
 * `npm start` as a user runs it: a child process on free ports (so a developer's own `npm start`
 * is left alone), ready when /health says so, one event in, one email out, and a Ctrl-C that
 * leaves no Java process behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { findFreePort } from '../../infra/local/ports.ts';
import { DEFAULT_BUS_NAME, SessionCompleted } from '../../shared/events/contracts.ts';
import { sessionDetail, waitFor, type StoredMail } from './support/local-stack.ts';

const REPO = join(import.meta.dirname, '..', '..');
const children: ChildProcess[] = [];
const tempDirs: string[] = [];

afterEach(() => {
  // A failed assertion must not leave a stack (and its JVM) running: kill the whole group.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/** Starts `npm start` in its own process group, as a terminal would, collecting its output. */
function npmStart(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn('npm', ['start'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Command lines of processes running DynamoDB Local on the given port (read from /proc, so Linux only). */
function dynamoDbLocalProcesses(port: number): string[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    })
    .filter((command) => command.includes('DynamoDBLocal.jar') && command.includes(`-port ${port} `));
}

describe('npm start', () => {
  it('runs the pipeline until Ctrl-C, then stops everything it started', async () => {
    const ports = { DYNAMODB_PORT: await findFreePort(), SES_PORT: await findFreePort(), BUS_PORT: await findFreePort(), WEB_PORT: await findFreePort(), FHIR_PORT: await findFreePort() };
    const started = Date.now();
    const { child, output, exited } = npmStart({ ...process.env, ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])), POWERTOOLS_LOG_LEVEL: 'WARN' });

    const health = await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output()}`);
        const response = await fetch(`http://127.0.0.1:${ports.WEB_PORT}/health`).catch(() => undefined);
        return response?.status === 200 ? ((await response.json()) as { parts: { dynamodb: { pid: number } } }) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'npm start to report healthy' },
    );
    const readyMs = Date.now() - started;
    const javaPid = health.parts.dynamodb.pid;
    expect(output()).toContain(`http://127.0.0.1:${ports.BUS_PORT}`);
    expect(isRunning(javaPid)).toBe(true);
    // The check after Ctrl-C must be able to see a running DynamoDB Local, or it proves nothing.
    if (existsSync('/proc')) expect(dynamoDbLocalProcesses(ports.DYNAMODB_PORT)).toHaveLength(1);

    const detail = sessionDetail(new Date());
    const events = new EventBridgeClient({ endpoint: `http://127.0.0.1:${ports.BUS_PORT}`, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const result = await events.send(
      new PutEventsCommand({ Entries: [{ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }] }),
    );
    events.destroy();
    expect(result.FailedEntryCount).toBe(0);
    const mails = await waitFor(
      async () => {
        const store = (await (await fetch(`http://127.0.0.1:${ports.SES_PORT}/store`)).json()) as { emails: StoredMail[] };
        const forClient = store.emails.filter((mail) => mail.destination.to.includes(detail.client.email));
        return forClient.length > 0 ? forClient : undefined;
      },
      { timeoutMs: 15_000, description: 'the feedback email' },
    );
    expect(mails).toHaveLength(1);

    // The FHIR R4 stand-in: its base URL printed, its fixture's finished encounter polled at start
    // and emailed to the fixture patient, once.
    expect(output()).toContain(`http://127.0.0.1:${ports.FHIR_PORT}/fhir/r4`);
    const fhirMails = await waitFor(
      async () => {
        const store = (await (await fetch(`http://127.0.0.1:${ports.SES_PORT}/store`)).json()) as { emails: StoredMail[] };
        const forPatient = store.emails.filter((mail) => mail.destination.to.includes('c1042@client.example'));
        return forPatient.length > 0 ? forPatient : undefined;
      },
      { timeoutMs: 15_000, description: 'the FHIR encounter\'s feedback email' },
    );
    expect(fhirMails).toHaveLength(1);

    // Ctrl-C in a terminal signals the whole foreground process group.
    killGroup(child, 'SIGINT');
    const exit = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);

    expect(exit).not.toBe('timeout');
    await waitFor(() => !isRunning(javaPid), { timeoutMs: 5_000, description: `Java (pid ${javaPid}) to be gone` });
    expect(dynamoDbLocalProcesses(ports.DYNAMODB_PORT)).toEqual([]);
    expect(output()).toContain('Stopped.');
    console.info(`npm start was healthy after ${readyMs} ms`);
  }, 120_000);

  it('says in one line how to get Java when there is none', async () => {
    // A PATH with node, npm and sh, but no java.
    const bin = mkdtempSync(join(tmpdir(), 'no-java-'));
    tempDirs.push(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(npm, join(bin, 'npm'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const ports = { DYNAMODB_PORT: await findFreePort(), SES_PORT: await findFreePort(), BUS_PORT: await findFreePort(), WEB_PORT: await findFreePort(), FHIR_PORT: await findFreePort() };
    const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])), PATH: bin };
    delete env['JAVA_HOME'];

    const { output, exited } = npmStart(env);
    const exit = await exited;

    expect(exit.code).not.toBe(0);
    const javaLines = output().split('\n').filter((line) => line.includes('`java` was not found'));
    expect(javaLines).toHaveLength(1);
    expect(javaLines[0]).toContain('apt-get install default-jre-headless');
    expect(javaLines[0]).toContain('brew install openjdk');
    // No stack trace: nothing like "    at startDynamoDbLocal (...)".
    expect(output()).not.toMatch(/^\s+at /m);
  }, 60_000);
});
