import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { buildApp } from '../../infra/app.ts';
import { newApp } from './synth.ts';
it('x', () => {
  const app = newApp({ context: { front: 'true' } });
  const stack = buildApp(app, { region: 'eu-central-1' });
  const asm = app.synth();
  for (const s of asm.stacks) writeFileSync(`/tmp/tpl-${s.stackName}.json`, JSON.stringify(s.template, null, 1));
}, 120000);
