/**
 * Benchmark 1, the cold-start proxy: every function in FUNCTIONS bundled exactly as `cdk synth`
 * bundles it, against its floor (only the AWS SDK clients it uses, same options), both imported
 * in fresh Node 24 processes with the function's deployed environment, in the same run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PRODUCT_BUNDLING } from '../../infra/constructs/product-function.ts';
import { FUNCTIONS } from '../../infra/routes.ts';
import { atMost, info, type BenchResult } from '../lib/results.ts';
import { median } from '../lib/stats.ts';
import { bundleEntry, bundleSource, sdkClientPackages, weightAboveFloor, type Bundle } from './bundle.ts';
import { deployedEnvironments, type FunctionKey } from './deployed-environment.ts';
import { esbuildOptionsFor } from './esbuild-options.ts';
import { floorSource } from './floor.ts';
import { nodeBinary, timeImports, type ImportTiming } from './import-timer.ts';

/** The target: a function may cost at most this multiple of its floor. */
export const COLD_START_TARGET_RATIO = 1.25;

export interface ColdStartOptions {
  projectRoot: string;
  workDir: string;
  runs: number;
  /** Only these functions (default: every function in FUNCTIONS). */
  only?: readonly FunctionKey[];
  log?: (line: string) => void;
}

export interface FunctionColdStart {
  key: FunctionKey;
  id: string;
  sdkPackages: string[];
  bundle: Bundle;
  floor: Bundle;
  timings: ImportTiming[];
  floorTimings: ImportTiming[];
  medianWallMs: number;
  floorMedianWallMs: number;
  medianCpuMs: number;
  floorMedianCpuMs: number;
  /** Median over the rounds of (function ÷ floor), each pair timed back to back. */
  wallRatio: number;
  cpuRatio: number;
  sizeRatio: number;
  /** Packages that make the bundle heavier than its floor, heaviest first. */
  aboveFloor: { name: string; bytes: number }[];
}

export async function measureColdStarts(options: ColdStartOptions): Promise<FunctionColdStart[]> {
  const log = options.log ?? (() => undefined);
  const esbuildOptions = esbuildOptionsFor(PRODUCT_BUNDLING, options.projectRoot);
  const keys = options.only ?? (Object.keys(FUNCTIONS) as FunctionKey[]);
  const environments = deployedEnvironments();

  const prepared: Omit<FunctionColdStart, 'timings' | 'floorTimings' | 'medianWallMs' | 'floorMedianWallMs' | 'medianCpuMs' | 'floorMedianCpuMs' | 'wallRatio' | 'cpuRatio'>[] = [];
  for (const key of keys) {
    const definition = FUNCTIONS[key];
    const outDir = join(options.workDir, 'bundles', definition.id);
    mkdirSync(outDir, { recursive: true });
    const bundle = await bundleEntry(esbuildOptions, definition.entry, outDir);
    const sdkPackages = sdkClientPackages(bundle.metafile);
    const floorDir = join(options.workDir, 'floors', definition.id);
    mkdirSync(floorDir, { recursive: true });
    const floor = await bundleSource(esbuildOptions, await floorSource(sdkPackages), `floor-${definition.id}`, floorDir);
    prepared.push({ key, id: definition.id, sdkPackages, bundle, floor, sizeRatio: bundle.bytes / floor.bytes, aboveFloor: weightAboveFloor(bundle.metafile, floor.metafile) });
    log(`bundled ${definition.id}: ${kb(bundle.bytes)} (floor ${kb(floor.bytes)}: ${sdkPackages.map((name) => name.replace('@aws-sdk/', '')).join(', ')})`);
  }

  const node = nodeBinary(options.projectRoot);
  // Each function next to its own floor, so the two see the same moment's load.
  const contenders = prepared.flatMap((entry) => [
    { id: `${entry.id}`, file: entry.bundle.file, env: environments[entry.key] },
    { id: `${entry.id}#floor`, file: entry.floor.file, env: environments[entry.key] },
  ]);
  let lastPrinted = 0;
  const timings = await timeImports(node, contenders, options.runs, (done, total) => {
    if (done === total || performance.now() - lastPrinted > 10_000) {
      lastPrinted = performance.now();
      log(`timed ${done}/${total} imports`);
    }
  });

  return prepared.map((entry) => {
    const own = timings.get(entry.id)!;
    const floor = timings.get(`${entry.id}#floor`)!;
    const medianWallMs = median(own.map((timing) => timing.wallMs));
    const floorMedianWallMs = median(floor.map((timing) => timing.wallMs));
    const medianCpuMs = median(own.map((timing) => timing.cpuMs));
    const floorMedianCpuMs = median(floor.map((timing) => timing.cpuMs));
    return {
      ...entry,
      timings: own,
      floorTimings: floor,
      medianWallMs,
      floorMedianWallMs,
      medianCpuMs,
      floorMedianCpuMs,
      // Each round times the function and its floor back to back: the ratio within a round is what
      // the load of a shared machine disturbs least, so the ratio is the median of those.
      wallRatio: median(own.map((timing, round) => timing.wallMs / floor[round]!.wallMs)),
      cpuRatio: median(own.map((timing, round) => timing.cpuMs / floor[round]!.cpuMs)),
    };
  });
}

/** Rows for the table: per function, size and import time against the floor. */
export function coldStartResults(measured: readonly FunctionColdStart[]): BenchResult[] {
  return measured.flatMap((entry) => [
    info(`cold start · ${entry.id} · bundle size`, entry.bundle.bytes / 1024, 'KB'),
    // Context: the target is on import time (the cold-start proxy); size is one of its causes.
    info(`cold start · ${entry.id} · bundle size / floor (${Math.round(entry.floor.bytes / 1024)} KB)`, entry.sizeRatio, '×'),
    info(`cold start · ${entry.id} · median import (wall)`, entry.medianWallMs, 'ms'),
    info(`cold start · ${entry.id} · median import (CPU)`, entry.medianCpuMs, 'ms'),
    atMost(`cold start · ${entry.id} · import time / floor (wall; floor median ${entry.floorMedianWallMs.toFixed(0)} ms)`, entry.wallRatio, '×', COLD_START_TARGET_RATIO),
    atMost(`cold start · ${entry.id} · import time / floor (CPU; floor median ${entry.floorMedianCpuMs.toFixed(0)} ms)`, entry.cpuRatio, '×', COLD_START_TARGET_RATIO),
  ]);
}

/** Notes: what each function carries above its floor. */
export function coldStartNotes(measured: readonly FunctionColdStart[]): string[] {
  return measured.map((entry) => {
    const top = entry.aboveFloor.slice(0, 6).map((item) => `${item.name} ${kb(item.bytes)}`).join(', ');
    return `cold start · ${entry.id}: ${kb(entry.bundle.bytes - entry.floor.bytes)} above the floor (${entry.sdkPackages.map((name) => name.replace('@aws-sdk/', '')).join(' + ')}); largest: ${top}`;
  });
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
