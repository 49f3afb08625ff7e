/**
 * A deployment refuses the placeholder settings the tests and the local stack run with: the CDK
 * CLI's run of infra/app.ts (every `cdk synth`, `diff`, `deploy`) stops with one message naming each
 * context key to set, while `buildApp` for the tests keeps accepting the defaults.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { isReservedDomain } from '../../infra/config.ts';
import { ConfigurationError, LOCAL_ADDRESS_HASH_KEY } from '../../shared/config.ts';
import { newApp, SYNTH_TIMEOUT } from './synth.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Settings a real practice would deploy with (a realistic, non-reserved domain). */
const PRACTICE = { senderAddress: 'feedback@northside-therapy.com', practiceName: 'Northside Therapy', practiceTimeZone: 'America/Chicago', addressHashKey: '4f'.repeat(32) } as const;

const buildForDeployment = (context: Record<string, unknown>) => () => buildApp(newApp({ context }), { forDeployment: true });

describe('reserved domains (RFC 2606, RFC 6761)', () => {
  it.each(['example.com', 'mail.example.net', 'EXAMPLE.ORG', 'practice.example', 'clinic.test', 'x.invalid', 'localhost', 'app.localhost'])('%s is reserved', (domain) => {
    expect(isReservedDomain(domain)).toBe(true);
  });

  it.each(['northside-therapy.com', 'example.co', 'examples.com', 'myexample.com', 'test.com', 'testing.org', 'invalid.io'])('%s is not', (domain) => {
    expect(isReservedDomain(domain)).toBe(false);
  });
});

describe('settings for a deployment', () => {
  it('refuses the defaults, naming every context key to set in one message', () => {
    expect(buildForDeployment({})).toThrow(ConfigurationError);
    expect(buildForDeployment({})).toThrow(
      /context "senderAddress" \(-c senderAddress=\.\.\.\) is on "practice\.example", a domain reserved[^\n]*-c senderAddress=feedback@yourpractice\.com\n- context "practiceName" \(-c practiceName=\.\.\.\) is the placeholder "Your practice"[^\n]*-c practiceName="/,
    );
  });

  it.each(['feedback@example.com', 'feedback@mail.example.org', 'feedback@clinic.test', 'feedback@x.invalid', 'feedback@app.localhost'])('refuses the sender %s', (senderAddress) => {
    expect(buildForDeployment({ ...PRACTICE, senderAddress })).toThrow(/context "senderAddress" .* is on ".*", a domain reserved for examples and tests/);
  });

  it('refuses the SES identity, the admin address and the form URL on reserved domains, all at once', () => {
    const context = { ...PRACTICE, senderAddress: 'feedback@example.com', sesIdentity: 'example.com', adminEmail: 'it@practice.example', formBaseUrl: 'http://localhost:3000' };

    expect(buildForDeployment(context)).toThrow(/senderAddress[^\n]*\n- [^\n]*sesIdentity[^\n]*\n- [^\n]*adminEmail[^\n]*\n- [^\n]*formBaseUrl" \(-c formBaseUrl=\.\.\.\) is on "localhost"/);
  });

  it('refuses the local stack’s published address key, and a missing one is the local key', () => {
    const { addressHashKey: _ownKey, ...withoutKey } = PRACTICE;

    expect(buildForDeployment({ ...PRACTICE, addressHashKey: LOCAL_ADDRESS_HASH_KEY })).toThrow(/context "addressHashKey" \(-c addressHashKey=\.\.\.\) is the local stack's published key[^\n]*openssl rand -hex 32/);
    expect(buildForDeployment(withoutKey)).toThrow(/addressHashKey/);
    expect(buildForDeployment({ ...PRACTICE, addressHashKey: 'short' })).toThrow(/addressHashKey[^\n]*at least 32 characters/);
  });

  it('requires the practice’s time zone, an IANA name, with no default', () => {
    const { practiceTimeZone: _zone, ...withoutZone } = PRACTICE;

    expect(buildForDeployment(withoutZone)).toThrow(/context "practiceTimeZone" \(-c practiceTimeZone=\.\.\.\) is required/);
    expect(buildForDeployment({ ...PRACTICE, practiceTimeZone: 'Central' })).toThrow(/context "practiceTimeZone" \(-c practiceTimeZone=\.\.\.\) must be an IANA time zone/);
    expect(buildForDeployment({ ...PRACTICE, practiceTimeZone: '-06:00' })).toThrow(/practiceTimeZone/);
  });

  it('accepts a practice’s own settings', () => {
    const stack = buildForDeployment({ ...PRACTICE, adminEmail: 'it@northside-therapy.com', formBaseUrl: 'https://feedback.northside-therapy.com' })();

    expect(stack.stackName).toBe('AllianceFeedback');
  });

  it('leaves the tests’ and the local stack’s defaults alone when not deploying', () => {
    expect(() => buildApp(newApp())).not.toThrow();
  });
});

/** Runs infra/app.ts the way the CDK CLI does: context and output directory in the environment. */
function runApp(context: Record<string, unknown>, environment: Record<string, string> = {}): { status: number | null; stderr: string; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'alliance-feedback-app-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    // Bundling skipped: this is about the settings, and the bundling test bundles for real.
    env: { ...process.env, ...environment, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }) },
  });
  return { status: result.status, stderr: result.stderr, outdir };
}

describe('the CDK app as the CLI runs it (infra/app.ts)', () => {
  it(
    'stops with the defaults: the message names the keys, no stack trace, nothing synthesized',
    () => {
      const { status, stderr, outdir } = runApp({});

      expect(status).toBe(1);
      expect(stderr).toContain('Invalid configuration:');
      expect(stderr).toContain('-c senderAddress=feedback@yourpractice.com');
      expect(stderr).toContain('-c practiceName="Riverside Practice"');
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(outdir, 'AllianceFeedback.template.json'))).toBe(false);
    },
    SYNTH_TIMEOUT,
  );

  it(
    'synthesizes the template with a practice’s settings',
    () => {
      const { status, stderr, outdir } = runApp(PRACTICE);

      expect(stderr).not.toContain('Invalid configuration');
      expect(status).toBe(0);
      expect(existsSync(join(outdir, 'AllianceFeedback.template.json'))).toBe(true);
    },
    SYNTH_TIMEOUT,
  );

  it(
    'synthesizes the product stack in the profile’s region and the front’s web ACL stack in us-east-1 with front=true',
    () => {
      const { status, stderr, outdir } = runApp({ ...PRACTICE, front: 'true' }, { CDK_DEFAULT_REGION: 'eu-central-1' });

      expect(stderr).not.toContain('Invalid configuration');
      expect(status).toBe(0);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { environment?: string }> };
      expect(manifest.artifacts['AllianceFeedback']?.environment).toMatch(/\/eu-central-1$/);
      expect(manifest.artifacts['AllianceFeedback-Waf']?.environment).toMatch(/\/us-east-1$/);
    },
    SYNTH_TIMEOUT,
  );
});
