/**
 * Times the import of a bundle in a fresh Node process: the part of a cold start the bundle
 * decides (Lambda's own runtime start-up comes on top and is the same for every bundle). The
 * clock starts right before `import()` and stops when the module and its top level have run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ImportTiming {
  /** Wall-clock milliseconds from `import()` to its resolution. */
  wallMs: number;
  /** CPU milliseconds (user + system) the process spent meanwhile. */
  cpuMs: number;
}

/** The Node binary npm scripts use (the `node` devDependency: Lambda's major), else this one. */
export function nodeBinary(projectRoot: string): string {
  const local = join(projectRoot, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

const TIMER = `
const cpu = process.cpuUsage();
const started = performance.now();
const module = await import(process.argv[1]);
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler function');
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));
`;

/** Imports `bundleFile` once in a fresh process with exactly `env` (plus PATH) and times it. */
export async function timeImport(node: string, bundleFile: string, env: Record<string, string>, timeoutMs = 30_000): Promise<ImportTiming> {
  const { stdout } = await run(node, ['--input-type=module', '-e', TIMER, pathToFileURL(bundleFile).href], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as ImportTiming;
}

export interface Contender {
  id: string;
  file: string;
  env: Record<string, string>;
}

/**
 * Times every contender `runs` times, one process at a time, in rounds that visit all contenders
 * (the order reversed every other round), so a burst of load on a shared machine hits neighbours
 * alike: list a function next to its floor. One untimed warm-up per contender first puts the files
 * in the page cache.
 */
export async function timeImports(node: string, contenders: readonly Contender[], runs: number, onProgress?: (done: number, total: number) => void): Promise<Map<string, ImportTiming[]>> {
  const timings = new Map(contenders.map((contender) => [contender.id, [] as ImportTiming[]]));
  for (const contender of contenders) await timeImport(node, contender.file, contender.env);
  const total = runs * contenders.length;
  let done = 0;
  for (let round = 0; round < runs; round += 1) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      timings.get(contender.id)!.push(await timeImport(node, contender.file, contender.env));
      done += 1;
      onProgress?.(done, total);
    }
  }
  return timings;
}
