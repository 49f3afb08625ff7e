/**
 * The deploy commands the docs show would get through the deployment's settings check (which
 * refuses placeholders), and the refusal the docs quote is the one the code prints.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { newApp } from '../infra/synth.ts';
import { codeBlock, codeBlocks, DOC_FILES, readDoc } from './markdown.ts';

/** Every `cdk synth|diff|deploy` command in the docs' shell blocks, continuation lines joined. */
function cdkCommands(): { file: string; command: string }[] {
  return DOC_FILES.flatMap((file) =>
    codeBlocks(readDoc(file))
      .filter((block) => block.lang === 'sh')
      .flatMap((block) => block.code.replace(/\s*\\\n\s*/g, ' ').split('\n'))
      .filter((line) => /\bcdk (synth|diff|deploy)\b/.test(line))
      .map((command) => ({ file, command })),
  );
}

/** What a practice's own secret stands in for in a documented command (`"$(cat address-hash.key)"`). */
const SECRET_STAND_IN = 'f'.repeat(64);

/** The `-c key=value` flags of a command, with shell quotes removed; a shell substitution stands for the practice's own value. */
function contextFlags(command: string): Record<string, string> {
  return Object.fromEntries(
    [...command.matchAll(/-c\s+([A-Za-z]+)=("[^"]*"|\S+)/g)].map((match) => {
      const value = match[2]!.replace(/^"|"$/g, '');
      return [match[1]!, value.startsWith('$') ? SECRET_STAND_IN : value];
    }),
  );
}

/** The context of the cdk.json the deploy guide tells a practice to write. */
const deployGuide = readDoc('docs/deploy.md');
const cdkJsonContext = JSON.parse(codeBlock(deployGuide, 'Deploy', 'json')).context as Record<string, unknown>;

const buildForDeployment = (context: Record<string, unknown>) => () => buildApp(newApp({ context }), { forDeployment: true });

describe('deploy commands in the docs', () => {
  const commands = cdkCommands();

  it('include the synth and deploy of the deploy guide', () => {
    expect(commands.map((entry) => entry.command)).toEqual(expect.arrayContaining([expect.stringMatching(/^npx cdk synth\b/), expect.stringMatching(/^npx cdk deploy -c senderAddress=/)]));
  });

  it('the guide’s cdk.json, with the address key given as the guide says, passes the deployment check; without the key it does not', () => {
    expect(buildForDeployment({ ...cdkJsonContext, addressHashKey: SECRET_STAND_IN })).not.toThrow();
    expect(buildForDeployment(cdkJsonContext)).toThrow(/addressHashKey/);
  });

  it.each(commands.map((entry) => [entry.file, entry.command] as const))('%s: `%s` passes, with its own flags or on the guide’s cdk.json', (_, command) => {
    const flags = contextFlags(command);
    // A command that names no sender relies on the settings kept in cdk.json, as the guide says;
    // every command gives the address key, which the guide keeps out of cdk.json.
    const context = 'senderAddress' in flags ? flags : { ...cdkJsonContext, ...flags };
    expect(flags).toHaveProperty('addressHashKey');

    expect(buildForDeployment(context)).not.toThrow();
  });

  it('quote the refusal of the defaults exactly as the synth prints it', () => {
    const quoted = codeBlock(deployGuide, 'Deploy', 'text');

    expect(buildForDeployment({})).toThrow(quoted);
    expect(() => buildApp(newApp(), { forDeployment: true })).toThrow(/^Invalid configuration:/);
  });
});
