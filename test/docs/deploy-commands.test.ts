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

/** The `-c key=value` flags of a command, with shell quotes removed. */
function contextFlags(command: string): Record<string, string> {
  return Object.fromEntries([...command.matchAll(/-c\s+([A-Za-z]+)=("[^"]*"|\S+)/g)].map((match) => [match[1]!, match[2]!.replace(/^"|"$/g, '')]));
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

  it('the guide’s cdk.json passes the deployment check', () => {
    expect(buildForDeployment(cdkJsonContext)).not.toThrow();
  });

  it.each(commands.map((entry) => [entry.file, entry.command] as const))('%s: `%s` passes, with its own flags or on the guide’s cdk.json', (_, command) => {
    const flags = contextFlags(command);
    // A command that names no sender relies on the settings kept in cdk.json, as the guide says.
    const context = 'senderAddress' in flags ? flags : { ...cdkJsonContext, ...flags };

    expect(buildForDeployment(context)).not.toThrow();
  });

  it('quote the refusal of the defaults exactly as the synth prints it', () => {
    const quoted = codeBlock(deployGuide, 'Deploy', 'text');

    expect(buildForDeployment({})).toThrow(quoted);
    expect(() => buildApp(newApp(), { forDeployment: true })).toThrow(/^Invalid configuration:/);
  });
});
