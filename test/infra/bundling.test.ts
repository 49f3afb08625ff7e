import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { FUNCTIONS } from '../../infra/routes.ts';
import { newApp } from './synth.ts';

// The one real synth: esbuild bundles every function exactly as `cdk synth` does (no Docker).
const BUNDLING_TIMEOUT = 180_000;

describe('real bundling synth', () => {
  it(
    'bundles every function into a minified ESM handler with a source map',
    () => {
      const app = newApp({ bundle: true });
      const stack = buildApp(app);
      const assembly = app.synth();
      const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, { Properties: Record<string, any> }> };

      const bundles = Object.fromEntries(
        Object.keys(FUNCTIONS).map((id) => {
          const fn = stack.functions[id as keyof typeof FUNCTIONS].function;
          const code = template.Resources[stack.getLogicalId(fn.node.defaultChild as CfnResource)]!.Properties['Code'];
          // The S3 key is `<asset hash>.zip`; the staged asset sits in `asset.<hash>` next to the template.
          const directory = join(assembly.directory, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`);
          return [id, directory];
        }),
      );

      for (const [id, directory] of Object.entries(bundles)) {
        const handler = join(directory, 'index.mjs');
        const source = readFileSync(handler, 'utf8');
        const lines = source.split('\n');

        expect(source.startsWith("import { createRequire as __createRequire } from 'node:module';"), id).toBe(true);
        expect(source, id).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
        // Minified: code is one long line (only newlines inside template literals survive), where
        // esbuild's readable output averages a few dozen characters per line.
        expect(source.length / lines.length, id).toBeGreaterThan(1000);
        expect(lines.at(-1) === '' ? lines.at(-2) : lines.at(-1), id).toMatch(/^\/\/# sourceMappingURL=index\.mjs\.map$/);
        expect(existsSync(`${handler}.map`), id).toBe(true);
        // The SDK's CommonJS build alone would be ~550 KB for DynamoDB; well above this means the
        // `module` entry points stopped being used.
        expect(statSync(handler).size, id).toBeLessThan(1_000_000);
      }

      // Each bundle must load as ESM on Node (the banner gives bundled CommonJS code its
      // `require`) with exactly the environment the stack gives it: a handler that needs a
      // variable the stack does not set fails here, not at its first cold start after a deploy.
      for (const [id, directory] of Object.entries(bundles)) {
        const fn = stack.functions[id as keyof typeof FUNCTIONS].function;
        const variables = template.Resources[stack.getLogicalId(fn.node.defaultChild as CfnResource)]!.Properties['Environment'].Variables as Record<string, unknown>;
        const loaded = execFileSync(
          process.execPath,
          ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(directory, 'index.mjs'))}); console.log(typeof m.handler);`],
          { env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1', ...deployedValues(variables) }, encoding: 'utf8' },
        );
        expect(loaded.trim(), id).toBe('function');
      }
    },
    BUNDLING_TIMEOUT,
  );
});

/** The environment as deployed, with plausible stand-ins for values CloudFormation fills in. */
function deployedValues(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : name.endsWith('_URL') ? 'https://deployed.example/' : `deployed-${name.toLowerCase()}`,
    ]),
  );
}
