/**
 * The `alliance` CLI run against a local stack, its table and bus endpoints appended to the
 * arguments: in this process (`runCli`), or as a practice runs it, in a child process (`spawnCli`).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { vi } from 'vitest';
import { main } from '../../../bin/alliance.ts';
import type { LocalStack } from '../../../infra/local/stack.ts';

export interface CliResult<Code = number> {
  code: Code;
  stdout: string;
  stderr: string;
}

const ROOT = resolve(import.meta.dirname, '../../..');

/** The arguments that point the CLI at the local stack's table and bus. */
export const stackEndpoints = (stack: LocalStack): string[] => ['--endpoint', stack.endpoints.dynamodb, '--bus-endpoint', stack.endpoints.bus];

/**
 * Runs the CLI's `main` in this process (the local bus it talks to answers from here), capturing
 * what it writes to stdout and stderr.
 */
export async function runCli(stack: LocalStack, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main([...args, ...stackEndpoints(stack)]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * Runs `bin/alliance.mjs` in a child process, as a practice runs it (asynchronously: the local bus
 * answers from this process), from the repository's root or `options.cwd`, with an AWS profile
 * that does not exist.
 */
export function spawnCli(stack: LocalStack, args: readonly string[], options: { cwd?: string } = {}): Promise<CliResult<number | null>> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/alliance.mjs'), ...args, ...stackEndpoints(stack)], { cwd: options.cwd ?? ROOT, env: { ...process.env, AWS_PROFILE: 'nobody-here' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
