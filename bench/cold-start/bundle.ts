/**
 * Bundles a function (or its floor) with the product's esbuild options and reads esbuild's
 * metafile: which AWS SDK clients the product's own code imports, and which packages the bytes
 * come from.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';

export interface Bundle {
  /** The bundle's entry module (index.mjs, as CDK names an ESM bundle). */
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** Bundles `entry` (relative to the project root) into `outDir/index.mjs`. */
export async function bundleEntry(options: BuildOptions, entry: string, outDir: string): Promise<Bundle> {
  const file = join(outDir, 'index.mjs');
  const result = await build({ ...options, entryPoints: [entry], outfile: file, metafile: true });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

/** Bundles generated source (the floor) as if it were a file in the project root. */
export async function bundleSource(options: BuildOptions, source: string, name: string, outDir: string): Promise<Bundle> {
  const file = join(outDir, 'index.mjs');
  const result = await build({
    ...options,
    stdin: { contents: source, resolveDir: String(options.absWorkingDir), sourcefile: `${name}.ts`, loader: 'ts' },
    outfile: file,
    metafile: true,
  });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

const SDK_CLIENT_PACKAGE = /(?:^|\/)node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//;

/**
 * The AWS SDK client packages the product's own modules import (not what the SDK pulls in for
 * itself, such as the credential providers' nested clients).
 */
export function sdkClientPackages(metafile: Metafile): string[] {
  const packages = new Set<string>();
  for (const [path, input] of Object.entries(metafile.inputs)) {
    if (path.includes('node_modules/')) continue;
    for (const imported of input.imports) {
      const match = SDK_CLIENT_PACKAGE.exec(imported.path);
      if (match) packages.add(match[1]!);
    }
  }
  return [...packages].sort();
}

/** Output bytes per package (`@scope/name`, or the project folder for our own code). */
export function bytesByPackage(metafile: Metafile): Map<string, number> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const key = packageOf(path);
      totals.set(key, (totals.get(key) ?? 0) + input.bytesInOutput);
    }
  }
  return totals;
}

function packageOf(path: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inModules) return inModules[1]!;
  if (path.startsWith('<stdin>') || path.endsWith('floor.ts')) return '(floor entry)';
  const parts = path.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : path;
}

/** The packages that make a bundle heavier than its floor, heaviest first. */
export function weightAboveFloor(bundle: Metafile, floor: Metafile): { name: string; bytes: number }[] {
  const ours = bytesByPackage(bundle);
  const theirs = bytesByPackage(floor);
  return [...ours.entries()]
    .map(([name, bytes]) => ({ name, bytes: bytes - (theirs.get(name) ?? 0) }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}
