/**
 * The docs say what the code does: generated tables are current, every command they show exists,
 * every example passes its contract, every number they quote is the code's default, every link
 * leads somewhere. (test/docs/local-tour.test.ts runs the commands against a local stack.)
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, EVENT_ROUTES } from '../../infra/routes.ts';
import { REQUEST_SETTINGS } from '../../shared/config.ts';
import * as clientProfileItem from '../../shared/adapters/items/client-profile.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../shared/domain/detector/settings.ts';
import { KIND_WORDS } from '../../shared/domain/templates/alert-email.ts';
import { ALERT_KINDS, DEFAULT_BUS_NAME, PRODUCT_SOURCE, SessionCompleted, SessionCompletedDetailSchema } from '../../shared/events/contracts.ts';
import { codeBlock, codeBlocks, DOC_FILES, headings, prose, readDoc, relativeLinks, slug } from './markdown.ts';
import { alliance, BLOCKS, catalogueContracts, EXAMPLES, PRODUCERS, readBlock, ROOT, synthesizedResources } from './render.ts';

const run = promisify(execFile);
const docs = Object.fromEntries(DOC_FILES.map((file) => [file, readDoc(file)])) as Record<(typeof DOC_FILES)[number], string>;
const allDocs = Object.values(docs).join('\n');
const packageJson = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };

let resources: Awaited<ReturnType<typeof synthesizedResources>>;
beforeAll(async () => {
  resources = await synthesizedResources();
}, 60_000);

describe('generated blocks', () => {
  for (const block of BLOCKS) {
    it(`${block.file} "${block.name}" is ${block.checked ? 'what the code renders now' : 'present'} (regenerate: npx tsx test/docs/render.ts --write)`, () => {
      const current = readBlock(readDoc(block.file), block.name);

      expect(current, `no "${block.name}" block in ${block.file}`).toBeDefined();
      if (block.checked) expect(current).toBe(block.render(() => resources));
    }, 30_000);
  }
});

describe('commands the docs show', () => {
  it('names only npm scripts that package.json has', () => {
    const named = new Set([...allDocs.matchAll(/\bnpm run(?: -s)? ([a-z][\w:-]*)/g)].map((match) => match[1]!));
    for (const builtIn of ['start', 'test']) if (new RegExp(`\\bnpm ${builtIn}\\b`).test(allDocs)) named.add(builtIn);

    expect([...named].filter((script) => !(script in packageJson.scripts))).toEqual([]);
    expect(named).toContain('tour');
  });

  it('names only options a script accepts, where they list them next to its --help', () => {
    for (const paragraph of allDocs.split(/\n\s*\n/)) {
      const script = /npm run ([a-z][\w:-]*) -- --help/.exec(paragraph)?.[1];
      if (!script) continue;
      const source = readFileSync(resolve(ROOT, packageJson.scripts[script]!.replace(/^tsx /, '')), 'utf8');
      const flags = [...paragraph.matchAll(/`(--[a-z][a-z-]*)/g)].map((match) => match[1]!).filter((flag) => flag !== '--help');
      expect(flags.length).toBeGreaterThan(0);
      for (const flag of flags) expect(source, `${flag} of npm run ${script}`).toMatch(new RegExp(`['"]?${flag.slice(2)}['"]?: \\{ type:`));
    }
  });

  it('names only alliance commands that exist', async () => {
    const commands = [...new Set([...allDocs.matchAll(/\bnpx alliance ([a-z][a-z-]*)/g)].map((match) => match[1]!))];

    expect(commands).toEqual(expect.arrayContaining(['simulate', 'backtest']));
    const helps = await Promise.all(
      commands.map(async (command) => (await run(process.execPath, [resolve(ROOT, 'bin/alliance.mjs'), command, '--help'], { cwd: ROOT, encoding: 'utf8' })).stdout),
    );
    commands.forEach((command, index) => expect(helps[index], command).toContain(`Usage: alliance ${command}`));
  }, 30_000);

  it('names only environment variables the code reads', () => {
    const source = ['shared', 'infra', 'functions', 'bin']
      .map((dir) => execFileSync('grep', ['-rhoE', '--include=*.ts', '[A-Z][A-Z0-9]*(_[A-Z0-9]+)+', resolve(ROOT, dir)], { encoding: 'utf8' }))
      .join('\n');
    const known = new Set(source.split('\n'));
    // Read by the AWS CLI and boto3, and by the signed webhook's examples (docs/integrate.md), not by this code.
    const external = new Set(['AWS_DEFAULT_REGION', 'WEBHOOK_URL']);
    const named = new Set([
      ...[...prose(allDocs).matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1]!),
      ...[...allDocs.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=/g)].map((match) => match[1]!),
    ]);

    expect([...named].filter((name) => !known.has(name) && !external.has(name))).toEqual([]);
  });
});

describe('the event catalogue', () => {
  it('has a producer and an example for every event, and every example passes its contract', () => {
    for (const contract of catalogueContracts()) {
      expect(PRODUCERS[contract.detailType], contract.detailType).toBeDefined();
      const parsed = contract.schema.safeParse(EXAMPLES[contract.detailType]);
      expect(parsed.success, `${contract.detailType}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
    }
  });

  it('names producers the source confirms', () => {
    for (const [detailType, { evidence }] of Object.entries(PRODUCERS)) {
      expect(readFileSync(resolve(ROOT, evidence.file), 'utf8'), `${detailType}: ${evidence.file}`).toContain(evidence.contains);
    }
  });

  it('shows a SessionCompleted in integrate.md that passes the contract', () => {
    const json = codeBlock(docs['docs/integrate.md'], '`SessionCompleted`, version 1', 'json');

    expect(SessionCompletedDetailSchema.safeParse(JSON.parse(json)).success).toBe(true);
  });

  it('documents every SessionCompleted field in the field table', () => {
    const documented = [...docs['docs/integrate.md'].matchAll(/^\| `([a-zA-Z.]+)` \| (?:yes|no) \|/gm)].map((match) => match[1]!);
    const fields = Object.entries(SessionCompletedDetailSchema.shape).flatMap(([name, schema]) => {
      const shape = (schema as { shape?: Record<string, unknown> }).shape;
      return shape ? Object.keys(shape).map((child) => `${name}.${child}`) : [name];
    });

    expect(documented.sort()).toEqual(fields.sort());
  });

  it('has an AWS CLI example whose entries pass the contract and are not stale', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alliance-docs-cli-'));
    try {
      const script = codeBlock(docs['docs/integrate.md'], 'AWS CLI', 'sh');
      const heredoc = script.slice(0, script.indexOf('\nEOF') + 4);
      execFileSync('bash', ['-c', heredoc], { cwd: dir });
      const entries = JSON.parse(readFileSync(join(dir, 'entries.json'), 'utf8')) as { EventBusName: string; Source: string; DetailType: string; Detail: string }[];

      expect(entries).toHaveLength(1);
      const [entry] = entries;
      expect(entry).toMatchObject({ EventBusName: DEFAULT_BUS_NAME, DetailType: SessionCompleted.detailType });
      expect(entry!.Source).not.toBe(PRODUCT_SOURCE);
      const detail = SessionCompletedDetailSchema.parse(JSON.parse(entry!.Detail));
      expect(Math.abs(Date.now() - Date.parse(detail.endedAt))).toBeLessThan(120_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a Python example that parses, where Python is installed', () => {
    const python = spawnSync('python3', ['--version']);
    if (python.status !== 0) return;
    const code = codeBlock(docs['docs/integrate.md'], 'Python (boto3)', 'python');
    const checked = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: code, encoding: 'utf8' });

    expect(checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  });
});

describe('facts the docs state', () => {
  it('quotes the code’s defaults where the prose gives numbers', () => {
    const d = DEFAULT_DETECTOR_SETTINGS;
    const defaults = Object.fromEntries(Object.entries(REQUEST_SETTINGS).map(([key, setting]) => [key, setting.defaultValue]));
    const points = (pomp: number, of: number) => (pomp / 100) * of;
    const expectations: [string, string][] = [
      ['docs/clinicians.md', `**At least ${d.minBaseline}** answered sessions`],
      ['docs/clinicians.md', `most recent answered sessions, up to ${d.baselineMax}`],
      ['docs/clinicians.md', `never less than ${d.sdFloor} POMP (${points(d.sdFloor, 40)} points of 40)`],
      ['docs/clinicians.md', `one item is ${points(d.itemDropPomp, 10)} points (of 10) or more below`],
      ['docs/clinicians.md', `The total is ${points(d.lowRatingPomp, 40)} of 40 or less`],
      ['docs/clinicians.md', `capped at ${d.kCap}`],
      ['docs/clinicians.md', `at least ${d.watchZ} SD below usual`],
      ['docs/clinicians.md', `first of the next ${['zero', 'one', 'two', 'three', 'four', 'five'][d.repairWindow]} answered`],
      ['docs/clinicians.md', `${['Zero', 'One', 'Two', 'Three'][d.quietAfterExpired]} requests in a row expired`],
      ['docs/clinicians.md', `works for ${defaults['tokenExpiryHours']} hours`],
      ['docs/clinicians.md', `**One reminder**, ${defaults['reminderHours']} hours later`],
      ['docs/clinicians.md', `ended within ${defaults['throttleHours']} hours of one`],
      ['docs/integrate.md', `\`maxSessionAgeHours\` (${defaults['maxSessionAgeHours']} h, ${Number(defaults['maxSessionAgeHours']) / 24} days)`],
      ['docs/integrate.md', `\`maxSessionLeadMinutes\` (${defaults['maxSessionLeadMinutes']} min)`],
      ['docs/integrate.md', `\`throttleHours\`\n   (${defaults['throttleHours']} h)`],
      ['docs/integrate.md', `\`tokenExpiryHours\` (${defaults['tokenExpiryHours']} h)`],
      ['README.md', `at least ${d.minBaseline} are needed`],
      ['README.md', `once per ${defaults['throttleHours']} hours of session time`],
      ['README.md', `very low (${points(d.lowRatingPomp, 40)} of 40 or less)`],
    ];
    const words = (text: string) => text.replace(/\s+/g, ' ');
    for (const [file, phrase] of expectations) expect(words(docs[file as keyof typeof docs]), file).toContain(words(phrase));
  });

  it('states the Node.js versions package.json’s engines asks for, in the README and the deploy guide', () => {
    // `^22.22.2 || ^24.8.0 || >=26.0.0`: the docs say "22.22.2 or later in 22.x, or 24.8 or later".
    const [in22, in24] = [/\^22\.(\d+\.\d+)/.exec(packageJson.engines.node)?.[1], /\^24\.(\d+)\.0/.exec(packageJson.engines.node)?.[1]];
    expect(in22 && in24).toBeTruthy();
    for (const doc of [docs['README.md'], docs['docs/deploy.md']]) {
      expect(prose(doc)).toContain(`Node.js 22.${in22} or later in 22.x, or 24.${in24} or later`);
    }
  });

  it('describes every alert kind, with the subject words and the headline its email really has', () => {
    const template = readFileSync(resolve(ROOT, 'shared/domain/templates/alert-email.ts'), 'utf8');
    for (const kind of ALERT_KINDS) {
      const row = new RegExp(`^\\| \`${kind}\` \\| “([^”|]+)” \\| ([^|]+) \\|`, 'm').exec(docs['docs/clinicians.md']);
      expect(row, kind).not.toBeNull();
      expect(KIND_WORDS[kind], kind).toBe(row![1]);
      expect(template, kind).toContain(`'${row![2]!.trim()}'`);
    }
  });

  it('draws every function and every routed event in the README’s architecture', () => {
    const mermaid = codeBlock(docs['README.md'], 'Architecture', 'mermaid');
    for (const fn of Object.values(FUNCTIONS)) expect(mermaid).toContain(`λ ${fn.id}`);
    for (const route of EVENT_ROUTES) for (const detailType of route.contract.pattern['detail-type'] ?? []) expect(mermaid).toContain(detailType);
  });

  it('lifts a deliverability block with alliance clients unblock, which removes exactly what a block and an opt-out write; no doc shows a raw update-item', () => {
    const command = codeBlocks(docs['docs/deploy.md']).find((block) => block.heading === 'Deliverability' && block.code.includes('alliance clients unblock'));
    const lift = clientProfileItem.lift('c-1042');
    const removed = /^REMOVE (.+)$/.exec(String(lift.UpdateExpression))![1]!.split(/,\s*/);
    const block = clientProfileItem.markUndeliverable('c-1042', 'bounce', new Date());

    expect(command).toBeDefined();
    expect(lift.Key).toEqual(keys.client('c-1042'));
    expect(removed).toEqual(['optedOutAt', 'undeliverableAt', 'undeliverableReason']);
    for (const attribute of removed.slice(1)) expect(block.UpdateExpression).toContain(`${attribute} = if_not_exists(${attribute},`);
    expect(clientProfileItem.optOut('c-1042', new Date()).UpdateExpression).toContain('SET optedOutAt');
    for (const [file, text] of Object.entries(docs)) expect(text, file).not.toContain('update-item');
  });

  it('says truly what a removal keeps and deletes', () => {
    const retained = Object.values(resources).filter((resource) => resource.DeletionPolicy === 'Retain').map((resource) => resource.Type);
    const scheduleGroups = Object.values(resources).filter((resource) => resource.Type === 'AWS::Scheduler::ScheduleGroup') as { DeletionPolicy?: string }[];

    expect(retained).toEqual(expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::KMS::Key']));
    expect(scheduleGroups.length).toBe(1);
    expect(scheduleGroups[0]!.DeletionPolicy ?? 'Delete').toBe('Delete');
    expect(docs['docs/deploy.md']).toContain('the schedule group **with every\npending reminder and expiry**');
  });

  it('has a backtest CSV example that the backtest reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alliance-docs-csv-'));
    try {
      writeFileSync(join(dir, 'scores.csv'), `${codeBlock(docs['docs/clinicians.md'], 'Tuning', 'csv')}\n`);
      const output = alliance(['backtest', 'scores.csv'], dir);

      expect(output).toContain('5 sessions (4 answered) from 1 clients; 1 labelled ruptures');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sources', () => {
  it('lists every work docs/clinicians.md cites (author, year) under its Sources, by author and year', () => {
    const text = docs['docs/clinicians.md']!;
    const [body, sources] = text.split('\n## Sources\n') as [string, string | undefined];
    const entries = (sources ?? '').split('\n- ').slice(1);
    const cited = [...body.matchAll(/\b([A-Z][\p{L}]+)(?: et al\.)? ((?:19|20)\d{2})\b/gu)].map(([, author, year]) => `${author} ${year}`);

    expect(cited.length).toBeGreaterThan(5);
    for (const citation of cited) {
      const [author, year] = citation.split(' ') as [string, string];
      expect(entries.some((entry) => entry.includes(author) && entry.includes(`(${year})`)), citation).toBe(true);
    }
    // What a reader can open: every link in the list is a DOI.
    for (const link of (sources ?? '').match(/<https?:[^>]+>/g) ?? []) expect(link).toMatch(/^<https:\/\/doi\.org\/10\.\d{4,5}\//);
  });
});

describe('links', () => {
  it('lead to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of DOC_FILES) {
      for (const link of relativeLinks(docs[file])) {
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path === '' ? resolve(ROOT, file) : resolve(ROOT, dirname(file), path);
        if (!existsSync(target)) {
          broken.push(`${file}: ${link}`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !headings(readFileSync(target, 'utf8')).map(slug).includes(anchor)) broken.push(`${file}: ${link} (no such heading)`);
      }
    }

    expect(broken).toEqual([]);
  });
});
