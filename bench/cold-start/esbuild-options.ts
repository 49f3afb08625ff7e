/**
 * The esbuild options CDK's NodejsFunction derives from a `BundlingOptions` object, for the esbuild
 * JavaScript API. Mirrors aws-cdk-lib's `Bundling.buildEsbuildArgs` (lib/aws-lambda-nodejs/lib/
 * bundling.js) for the options the product uses, and refuses any other option: a new bundling
 * option in infra/constructs/product-function.ts must be taught here before the benchmark runs,
 * so the benchmark never silently bundles differently from `cdk synth`.
 */
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** Options that only affect how CDK runs esbuild (Docker, hooks), not the bundle it produces. */
const NO_EFFECT_ON_OUTPUT = new Set(['logLevel', 'forceDockerBundling', 'dockerImage', 'buildArgs', 'network', 'environment', 'bundlingFileAccess', 'assetHash', 'metafile']);

const TRANSLATED = new Set([
  'format',
  'mainFields',
  'banner',
  'footer',
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'target',
  'bundleAwsSDK',
  'externalModules',
  'define',
  'loader',
  'keepNames',
  'inject',
]);

/** Thrown for a bundling option this mirror does not know how CDK maps. */
export class UnsupportedBundlingOptionError extends Error {
  override name = 'UnsupportedBundlingOptionError';
}

/**
 * esbuild build options equivalent to CDK's command line for `bundling` (entry and output are the
 * caller's). CDK runs `esbuild --bundle <entry> --platform=node ...` from the project root.
 */
export function esbuildOptionsFor(bundling: BundlingOptions, projectRoot: string): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => (bundling as Record<string, unknown>)[key] !== undefined && !TRANSLATED.has(key) && !NO_EFFECT_ON_OUTPUT.has(key));
  if (unknown.length > 0) {
    throw new UnsupportedBundlingOptionError(
      `bench/cold-start/esbuild-options.ts does not know how CDK passes ${unknown.join(', ')} to esbuild; mirror it from aws-cdk-lib's Bundling.buildEsbuildArgs first`,
    );
  }
  if (bundling.sourceMap === false && bundling.sourceMapMode) throw new UnsupportedBundlingOptionError('sourceMapMode cannot be used when sourceMap is false');
  // Without bundleAwsSDK, CDK marks the SDK external (the runtime's copy); the floor comparison
  // needs the SDK in the bundle, and the product bundles it.
  if (!bundling.bundleAwsSDK && !bundling.externalModules) {
    throw new UnsupportedBundlingOptionError('the benchmark expects bundleAwsSDK: true (the SDK in the bundle, as the product deploys it)');
  }
  if (!bundling.target) throw new UnsupportedBundlingOptionError('set an explicit esbuild target (CDK would derive it from the runtime)');

  const sourceMapEnabled = bundling.sourceMapMode ?? bundling.sourceMap;
  // CDK: `--sourcemap` for DEFAULT (a linked .map file), `--sourcemap=<mode>` otherwise.
  const sourcemap: BuildOptions['sourcemap'] = !sourceMapEnabled ? undefined : (bundling.sourceMapMode ?? 'default') === 'default' ? true : (bundling.sourceMapMode as BuildOptions['sourcemap']);
  return {
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    target: bundling.target,
    ...(bundling.format ? { format: bundling.format as BuildOptions['format'] } : {}),
    ...(bundling.minify ? { minify: true } : {}),
    ...(sourcemap !== undefined ? { sourcemap } : {}),
    // CDK passes `--sources-content=false` only when it is false; esbuild's default is true.
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    external: bundling.externalModules ?? [],
    ...(bundling.loader ? { loader: bundling.loader as BuildOptions['loader'] } : {}),
    ...(bundling.define ? { define: bundling.define } : {}),
    ...(bundling.keepNames ? { keepNames: true } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
    ...(bundling.inject ? { inject: bundling.inject } : {}),
    logLevel: 'warning',
  };
}
