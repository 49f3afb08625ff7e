/**
 * The cold-start benchmark on a small scale, so its code cannot rot: one function bundled with the
 * product's options against its floor, imported three times each in fresh Node processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { esbuildOptionsFor, UnsupportedBundlingOptionError } from '../../bench/cold-start/esbuild-options.ts';
import { measureColdStarts, coldStartResults } from '../../bench/cold-start/cold-start.ts';
import { PRODUCT_BUNDLING } from '../../infra/constructs/product-function.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'alliance-bench-test-'));

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('cold-start benchmark', () => {
  it('bundles with the options CDK derives from the product construct', () => {
    const options = esbuildOptionsFor(PRODUCT_BUNDLING, PROJECT_ROOT);

    expect(options).toMatchObject({ bundle: true, platform: 'node', format: 'esm', target: 'node24', minify: true, sourcemap: true, sourcesContent: false, mainFields: ['module', 'main'], external: [] });
    expect(options.banner?.['js']).toContain('createRequire');
  });

  it('refuses a bundling option it does not know how CDK passes on', () => {
    expect(() => esbuildOptionsFor({ ...PRODUCT_BUNDLING, esbuildArgs: { '--tree-shaking': 'false' } }, PROJECT_ROOT)).toThrow(UnsupportedBundlingOptionError);
  });

  it('measures one function against its floor in fresh processes', async () => {
    const [web] = await measureColdStarts({ projectRoot: PROJECT_ROOT, workDir, runs: 3, only: ['web'] });

    expect(web!.sdkPackages).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb']));
    expect(web!.floor.bytes).toBeLessThan(web!.bundle.bytes);
    expect(web!.timings).toHaveLength(3);
    expect(web!.floorTimings).toHaveLength(3);
    expect(web!.wallRatio).toBeGreaterThan(0);
    const targets = coldStartResults([web!]).filter((result) => result.pass !== null);
    expect(targets.map((result) => result.name)).toEqual([expect.stringMatching(/^cold start · web · import time \/ floor \(wall/), expect.stringMatching(/^cold start · web · import time \/ floor \(CPU/)]);
    expect(targets.every((result) => result.target === '≤ 1.25×')).toBe(true);
  }, 60_000);
});
