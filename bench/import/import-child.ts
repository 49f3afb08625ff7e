/**
 * One import in a process of its own, so its peak memory is the import's alone (the local stack
 * runs in the benchmark's process): `alliance import`'s own code on the file, against the local
 * bus, with the roster in memory. Prints one JSON line: wall time, rows, report, peak memory.
 *
 *   node --import tsx bench/import/import-child.ts <file> <bus endpoint> <bus name>
 */
import { Writable } from 'node:stream';
import { importCommand } from '../../bin/import.ts';
import { benchDirectories } from './appointments.ts';

const [path, busEndpoint, busName] = process.argv.slice(2);
if (path === undefined || busEndpoint === undefined || busName === undefined) throw new Error('usage: import-child.ts <file> <bus endpoint> <bus name>');

let peakRss = process.memoryUsage.rss();
let peakHeap = process.memoryUsage().heapUsed;
const startRss = peakRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 20);

let output = '';
const out = new Writable({ write: (chunk, _encoding, done) => ((output += String(chunk)), done()) });
const started = performance.now();
try {
  await importCommand([path, '--json', '--no-progress', '--bus-endpoint', busEndpoint, '--bus', busName], { directories: benchDirectories(), out });
} catch (error) {
  // A refused session is reported below (the report was written before the command gave up).
  if (output === '') throw error;
}
const ms = performance.now() - started;
clearInterval(sampler);
const report = JSON.parse(output) as { rows: number; announced: number; unannounced: { errorCode: string }[] };
process.stdout.write(`${JSON.stringify({ ms, rows: report.rows, announced: report.announced, unannounced: report.unannounced.length, errorCodes: [...new Set(report.unannounced.map((entry) => entry.errorCode))], startRss, peakRss, peakHeap, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
