/**
 * The parts of the docs that are rendered from the code: configuration tables, the event catalogue
 * and its examples, the default instrument's wording, the alert threshold table, what survives a
 * stack removal and its fixed monthly cost. Each lives in its docs file between two markers:
 *
 *   <!-- BEGIN GENERATED: name -->
 *   ...
 *   <!-- END GENERATED: name -->
 *
 * test/docs/docs.test.ts fails when a block differs from what this file renders now. After a change
 * to the code, regenerate them all:
 *
 *   npx tsx test/docs/render.ts --write
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULTS_FILES } from '../../bench/lib/results.ts';
import { formatReport, REPORT_SEEDS, reportSweeps, seedRange } from '../../bin/backtest-report.ts';
import { oracleCeiling, type OracleLine } from '../../shared/domain/backtest/oracle.ts';
import type { SimulatorSweep } from '../../shared/domain/backtest/report.ts';
import { detectorRuleSettings } from '../../shared/domain/backtest/rules.ts';
import { SIMULATOR_NAMES, SIMULATORS } from '../../shared/domain/backtest/simulate.ts';
import { DEPLOYMENT_SETTINGS } from '../../infra/config.ts';
import { EVENT_ROUTES } from '../../infra/routes.ts';
import { ALERT_SETTINGS, DETECTOR_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RETENTION_SETTINGS, type Setting } from '../../shared/config.ts';
import { alertThreshold, DEFAULT_DETECTOR_SETTINGS, SPEC_DETECTOR_SETTINGS } from '../../shared/domain/detector/settings.ts';
import { COMMENT_MAX_LENGTH, PAGE_TEXT } from '../../shared/domain/form/i18n.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import { mailTags } from '../../shared/domain/mail-tags.ts';
import { CONTRACTS, INBOUND_SOURCE, PRODUCT_SOURCE, SesDeliveryProblem, type EventContract } from '../../shared/events/contracts.ts';
import type * as z from 'zod/mini';

export const ROOT = resolve(import.meta.dirname, '../..');

// ---------------------------------------------------------------------------------------------
// Markdown helpers

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

function code(text: string): string {
  return `\`${text}\``;
}

// ---------------------------------------------------------------------------------------------
// Configuration (docs/deploy.md)

const SETTING_GROUPS: readonly { title: string; settings: Record<string, Setting> }[] = [
  { title: 'Feedback requests', settings: REQUEST_SETTINGS },
  { title: 'Rupture detector', settings: DETECTOR_SETTINGS },
  { title: 'Alert emails', settings: ALERT_SETTINGS },
  { title: 'Weekly digest', settings: DIGEST_SETTINGS },
  { title: 'Retention', settings: RETENTION_SETTINGS },
  { title: 'Privacy', settings: PRIVACY_SETTINGS },
];

/** Every setting of shared/config.ts and infra/config.ts as tables: context key, variable, default, meaning. */
export function renderSettingsTables(): string {
  const groups = SETTING_GROUPS.map(({ title, settings }) =>
    [
      `**${title}**`,
      '',
      table(
        ['context key', 'environment variable', 'default', 'meaning'],
        Object.values(settings).map((setting) => [code(setting.context), code(setting.env), setting.defaultValue === undefined ? '—' : code(setting.defaultValue), setting.description]),
      ),
    ].join('\n'),
  );
  const deployment = [
    '**Deployment only** (read by the CDK app; no environment variable, not used by `npm start`)',
    '',
    table(
      ['context key', 'default', 'meaning'],
      Object.values(DEPLOYMENT_SETTINGS).map((setting) => [code(setting.context), setting.defaultValue === undefined ? '—' : code(setting.defaultValue), setting.description]),
    ),
  ].join('\n');
  return [...groups, deployment].join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Event catalogue (docs/integrate.md)

/**
 * Who publishes each event. The docs test checks every claim against the source: the file must
 * contain the given text (the publish call, or the schedule that carries the event).
 */
export const PRODUCERS: Record<string, { producer: string; evidence: { file: string; contains: string } }> = {
  SessionCompleted: { producer: 'the practice’s EHR (you)', evidence: { file: 'infra/local/send-session.ts', contains: 'SessionCompleted.detailType' } },
  FeedbackRequested: { producer: 'function `request`', evidence: { file: 'shared/use-cases/request-feedback.ts', contains: 'publish(FeedbackRequested' } },
  FeedbackReminderTimeReached: {
    producer: 'EventBridge Scheduler (a one-time schedule made by `follow-up`)',
    evidence: { file: 'shared/use-cases/follow-up.ts', contains: 'contract: FeedbackReminderTimeReached' },
  },
  FeedbackExpiryTimeReached: {
    producer: 'EventBridge Scheduler (a one-time schedule made by `follow-up`)',
    evidence: { file: 'shared/use-cases/follow-up.ts', contains: 'contract: FeedbackExpiryTimeReached' },
  },
  FeedbackExpired: { producer: 'function `follow-up`', evidence: { file: 'shared/use-cases/follow-up.ts', contains: 'publish(FeedbackExpired' } },
  FeedbackSubmitted: { producer: 'function `web` (the form); function `follow-up` again if that announcement was lost', evidence: { file: 'shared/use-cases/submit-feedback.ts', contains: 'publish(FeedbackSubmitted' } },
  ClientUnsubscribed: { producer: 'function `web` (the opt-out page)', evidence: { file: 'shared/use-cases/opt-out.ts', contains: 'publish(ClientUnsubscribed' } },
  ClientErased: { producer: '`npx alliance erase`', evidence: { file: 'shared/use-cases/client-data.ts', contains: 'publish(ClientErased' } },
  ClientContactRestored: { producer: '`npx alliance clients unblock` / `allow`', evidence: { file: 'shared/use-cases/client-contact.ts', contains: 'publish(ClientContactRestored' } },
  TherapistRegistered: {
    producer: 'function `request` (first sight at a practice domain); `npx alliance therapists add` / `import`',
    evidence: { file: 'shared/use-cases/therapist-directory.ts', contains: 'publish(TherapistRegistered' },
  },
  AllianceRuptureDetected: { producer: 'function `evaluate`', evidence: { file: 'shared/use-cases/evaluate-feedback.ts', contains: 'publish(AllianceRuptureDetected' } },
  AlertAcknowledged: { producer: 'function `web` (the acknowledge page)', evidence: { file: 'shared/use-cases/acknowledge-alert.ts', contains: 'publish(AlertAcknowledged' } },
  TrendPageViewed: { producer: 'function `web` (a client’s trend page)', evidence: { file: 'shared/use-cases/trend-page.ts', contains: 'publish(TrendPageViewed' } },
  ClientEmailSuppressed: { producer: 'function `deliverability`', evidence: { file: 'shared/use-cases/deliverability.ts', contains: 'publish(ClientEmailSuppressed' } },
  DigestTimeReached: {
    producer: 'function `digest-dispatch` (hourly, at each therapist\'s digest hour); `npx alliance digest send`',
    evidence: { file: 'shared/use-cases/send-digest.ts', contains: 'publish(DigestTimeReached' },
  },
  [SesDeliveryProblem.detailType]: { producer: 'Amazon SES (the stack’s configuration set)', evidence: { file: 'infra/stack.ts', contains: 'EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT' } },
};

/** Every event the product knows: the contracts, and AWS events it consumes (SES's). */
export function catalogueContracts(): EventContract<z.ZodMiniType>[] {
  const aws = EVENT_ROUTES.map((route) => route.contract).filter((contract) => contract.publisher === 'aws');
  return [...Object.values(CONTRACTS), ...aws] as EventContract<z.ZodMiniType>[];
}

function detailTypesOf(contract: EventContract<z.ZodMiniType>): string[] {
  return contract.pattern['detail-type'] ?? [contract.detailType];
}

/** The functions whose routes match a contract's detail-types and source. */
export function consumersOf(contract: EventContract<z.ZodMiniType>): string[] {
  const types = detailTypesOf(contract);
  return EVENT_ROUTES.filter(
    (route) => route.contract.publisher === contract.publisher && detailTypesOf(route.contract).some((type) => types.includes(type)),
  ).map((route) => route.target.id);
}

function sourceOf(contract: EventContract<z.ZodMiniType>): string {
  if (contract.publisher === 'product') return code(PRODUCT_SOURCE);
  if (contract.publisher === 'integrator') return `yours: anything but ${code(PRODUCT_SOURCE)} (the product’s own inbound adapters use ${code(INBOUND_SOURCE)})`;
  return (contract.pattern.source as string[]).map(code).join(', ');
}

function busOf(contract: EventContract<z.ZodMiniType>): string {
  const route = EVENT_ROUTES.find((candidate) => candidate.contract === contract);
  return route?.bus === 'default' ? 'the account’s `default` bus' : 'the product bus';
}

/** The catalogue table: detail-type, source, bus, producer, consumers. */
export function renderCatalogueTable(): string {
  return table(
    ['detail-type', 'source', 'bus', 'producer', 'consumers'],
    catalogueContracts().map((contract) => {
      const consumers = consumersOf(contract);
      return [
        detailTypesOf(contract).map(code).join(', '),
        sourceOf(contract),
        busOf(contract),
        PRODUCERS[contract.detailType]?.producer ?? '**(undocumented)**',
        consumers.length > 0 ? consumers.map((id) => `function ${code(id)}`).join(', ') : 'none in the product: for your own rules',
      ];
    }),
  );
}

const FEEDBACK_TAGS = Object.fromEntries(Object.entries(mailTags('feedback-request', 'c-1042')).map(([name, value]) => [name, [value]]));

/** One example detail per event; each must pass its contract's schema (checked by the docs test). */
export const EXAMPLES: Record<string, unknown> = {
  SessionCompleted: {
    sessionId: 'appt-88231',
    clientId: 'c-1042',
    therapistId: 't-7',
    endedAt: '2026-11-25T15:50:00-05:00',
    client: { email: 'ana@example.com', firstName: 'Ana', locale: 'es' },
    therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
  },
  FeedbackRequested: {
    sessionId: 'appt-88231',
    clientId: 'c-1042',
    therapistId: 't-7',
    requestedAt: '2026-11-25T20:51:02.114Z',
    expiresAt: '2026-11-28T20:51:02.114Z',
  },
  FeedbackReminderTimeReached: { sessionId: 'appt-88231' },
  FeedbackExpiryTimeReached: { sessionId: 'appt-88231' },
  FeedbackExpired: { sessionId: 'appt-88231', clientId: 'c-1042', therapistId: 't-7', sessionEndedAt: '2026-11-25T20:50:00.000Z' },
  FeedbackSubmitted: {
    sessionId: 'appt-88231',
    clientId: 'c-1042',
    therapistId: 't-7',
    instrumentId: DEFAULT_INSTRUMENT.id,
    items: { relationship: 7, goals: 5, approach: 7, overall: 7 },
    talk: false,
    hasComment: true,
    submittedAt: '2026-11-25T21:40:13.512Z',
    sessionEndedAt: '2026-11-25T20:50:00.000Z',
  },
  ClientUnsubscribed: { clientId: 'c-1042', optedOutAt: '2026-11-26T08:02:45.000Z' },
  ClientErased: { clientId: 'c-1042', erasedAt: '2026-12-01T10:00:00.000Z', itemsDeleted: 14 },
  ClientContactRestored: { scope: 'client', clientId: 'c-1042', lifted: ['opted-out'], restoredAt: '2026-12-03T09:30:00.000Z' },
  TherapistRegistered: { therapistId: 't-7', registeredBy: 'administrator', registeredAt: '2026-12-04T08:15:00.000Z' },
  DigestTimeReached: { therapistId: 't-7', digestId: 'week-2026-W50' },
  AllianceRuptureDetected: {
    sessionId: 'appt-88231',
    clientId: 'c-1042',
    therapistId: 't-7',
    kind: 'rupture',
    alsoFired: ['item-drop'],
    reason:
      "Total 26 of 40 against a usual 38.4 ± 0.5 over the last 5 sessions: z = −6.20, at or past this client's alert line of −3.00 (a spread this small counts as 2 points). 'Goals' 5 of 10 against a usual 9.4.",
    score: { p: 65, total: 26, max: 40 },
    baseline: { m: 96, sEff: 5, n: 5, k: 3, z: -6.2 },
  },
  AlertAcknowledged: { sessionId: 'appt-88231', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture', acknowledgedAt: '2026-11-26T09:12:00.000Z' },
  TrendPageViewed: { therapistId: 't-7', clientId: 'c-1042', recipientRole: 'therapist', linkIssuedAt: '2026-11-25T21:00:04.000Z', viewedAt: '2026-11-26T08:55:12.000Z' },
  ClientEmailSuppressed: { clientId: 'c-1042', reason: 'bounce', markedAt: '2026-11-25T20:52:30.000Z' },
  [SesDeliveryProblem.detailType]: {
    eventType: 'Bounce',
    bounce: { bounceType: 'Permanent', bounceSubType: 'General' },
    mail: { messageId: '0100019b…', tags: FEEDBACK_TAGS },
  },
};

/** The examples as Markdown: a heading per event and its detail as JSON. */
export function renderExamples(): string {
  return catalogueContracts()
    .map((contract) => {
      const example = EXAMPLES[contract.detailType];
      const json = example === undefined ? '(no example)' : JSON.stringify(example, null, 2);
      return [`#### ${detailTypesOf(contract).join(' / ')}`, '', '```json', json, '```'].join('\n');
    })
    .join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Clinicians (docs/clinicians.md)

/** The default instrument, in both languages, with the form's optional parts. */
export function renderInstrument(): string {
  const { items, min, max } = DEFAULT_INSTRUMENT;
  const en = PAGE_TEXT.en;
  const es = PAGE_TEXT.es;
  const rows = items.map((item, index) => [
    String(index + 1),
    `${item.shortLabel.en} (${item.component})`,
    item.question.en,
    item.question.es,
  ]);
  const anchors = items[0]!.anchors;
  return [
    table(['#', 'item (alliance component)', 'English', 'Español'], rows),
    '',
    `Each item is answered on a scale from ${min} (${anchors.en.min} / ${anchors.es.min}) to ${max} (${anchors.en.max} / ${anchors.es.max}). Then, both optional:`,
    '',
    table(
      ['', 'English', 'Español'],
      [
        ['comment', `${en.commentLabel} (up to ${COMMENT_MAX_LENGTH.toLocaleString('en')} characters)`, es.commentLabel],
        ['tick box', en.talkLabel, es.talkLabel],
      ],
    ),
  ].join('\n');
}

/** k(n): how many (floored) standard deviations below the baseline mean a score must fall to alert. */
export function renderThresholds(): string {
  const settings = DEFAULT_DETECTOR_SETTINGS;
  const sizes = Array.from({ length: settings.baselineMax - settings.minBaseline + 1 }, (_, index) => settings.minBaseline + index);
  return table(
    ['sessions in the baseline (n)', ...sizes.map(String)],
    [
      ['alert line k(n), default', ...sizes.map((n) => alertThreshold(n, settings).toFixed(2))],
      ['alert line k(n), the spec’s rule (ALLIANCE-SCIENCE.md)', ...sizes.map((n) => alertThreshold(n, SPEC_DETECTOR_SETTINGS).toFixed(2))],
      ['alert line, `sensitive`', ...sizes.map((n) => alertThreshold(n, { ...settings, sensitivity: 'sensitive' }).toFixed(2))],
    ],
  );
}

/** The commands docs/clinicians.md shows for the synthetic backtest, as arguments of `alliance`. */
export const BACKTEST_COMMANDS = [
  ['simulate', '--clients', '600', '--seed', '1', '--out', 'cohort.csv'],
  ['backtest', 'cohort.csv'],
] as const;

/** Runs `alliance <args>` (bin/alliance.mjs, what `npx alliance` runs) in `cwd`; throws on failure. */
export function alliance(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/alliance.mjs'), ...args], { cwd, encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`alliance ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The synthetic backtest's output, from running the commands the docs show. */
export function renderBacktest(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-docs-'));
  try {
    const outputs = BACKTEST_COMMANDS.map((args) => alliance(args, dir));
    return ['```text', outputs.at(-1)!.trimEnd(), '```'].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let reportCache: SimulatorSweep[] | undefined;

/** `alliance backtest-report` with its defaults (every simulator, the held-out seeds), computed once. */
function defaultReport(): SimulatorSweep[] {
  reportCache ??= reportSweeps(SIMULATOR_NAMES, seedRange(REPORT_SEEDS), 600, detectorRuleSettings(DEFAULT_DETECTOR_SETTINGS));
  return reportCache;
}

/** What `npx alliance backtest-report` prints (docs/detector.md). */
export function renderDetectorReport(): string {
  return ['```text', formatReport(defaultReport()).trimEnd(), '```'].join('\n');
}

/** The default's and the spec's figures in plain words, from the same report (docs/clinicians.md). */
export function renderDetectorFigures(): string {
  const percent = (value: number) => `${Math.round(value * 100)} %`;
  return table(
    ['simulated practice', 'alerts that were a real rupture', 'ruptures alerted (that session or the next)', 'alerts per 100 answered sessions'],
    defaultReport().map((sweep) => {
      const rule = (name: string) => sweep.rules.find((candidate) => candidate.name === name)!;
      const [ours, spec] = [rule('default'), rule('spec')];
      return [
        `\`${sweep.simulator}\`: ${SIMULATORS[sweep.simulator].description}`,
        `${percent(ours.precision.mean)} (spec: ${percent(spec.precision.mean)})`,
        `${percent(ours.recall.mean)} (spec: ${percent(spec.recall.mean)})`,
        `${ours.alertsPer100Answered.mean.toFixed(1)} (spec: ${spec.alertsPer100Answered.mean.toFixed(1)})`,
      ];
    }),
  );
}

/** The oracle's lines in docs/detector.md's ceiling table. */
const ORACLE_LINES: readonly (readonly [string, OracleLine])[] = [
  ['total ≥ 2 true SDs down', { totalK: 2 }],
  ['≥ 2.5 SDs', { totalK: 2.5 }],
  ['≥ 2 SDs, or an item ≥ 3 of its true SDs', { totalK: 2, itemK: 3 }],
];

/**
 * How far any rule could go (docs/detector.md): the oracle's share of labelled ruptures caught on
 * the report's held-out seeds (its alerts per 100 answered sessions in brackets), beside what the
 * default and the retrospective 2-SD rule caught there.
 */
export function renderDetectorCeiling(): string {
  const seeds = seedRange(REPORT_SEEDS);
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  return table(
    ['simulator', ...ORACLE_LINES.map(([name]) => name), 'the default (caught)', 'twoSd (retrospective, caught)'],
    defaultReport().map((sweep) => {
      const oracle = ORACLE_LINES.map(([, line]) => oracleCeiling(sweep.simulator, seeds, sweep.clients, DEFAULT_INSTRUMENT, line));
      const caught = (name: string) => percent(sweep.rules.find((rule) => rule.name === name)!.recall.mean);
      return [code(sweep.simulator), ...oracle.map((result) => `${percent(result.caught)} (${result.alertsPer100Answered.toFixed(1)})`), caught('default'), caught('twoSd')];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Removal and idle cost (docs/deploy.md), from the synthesized template

/** What each retained resource type is, in the stack. */
const RETAINED_MEANING: Record<string, string> = {
  'AWS::DynamoDB::Table': 'the table: sessions, answers, evaluations, alerts, opt-outs (also deletion-protected)',
  'AWS::KMS::Key': 'the customer-managed key that encrypts the table, the queues, the alarm topic and the logs (the retained table and logs are unreadable without it)',
  'AWS::Logs::LogGroup': 'the log groups of the functions and of the API’s access log (their events still expire after `logRetentionDays`)',
};

/** The resources `cdk destroy` leaves behind, counted by type from the template's DeletionPolicy. */
export function renderRetained(resources: Record<string, { Type: string; DeletionPolicy?: string }>): string {
  const counts = new Map<string, number>();
  for (const resource of Object.values(resources)) if (resource.DeletionPolicy === 'Retain') counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `- ${code(type)} × ${count}: ${RETAINED_MEANING[type] ?? 'retained'}`)
    .join('\n');
}

/** us-east-1 list prices (ECOSYSTEM.md), per month. */
const PRICES = { kmsKey: 1, dashboard: 3, alarmMetric: 0.1, freeAlarmMetrics: 10 } as const;

interface TemplateResource {
  Type: string;
  Properties?: { Metrics?: { MetricStat?: unknown }[] };
}

/** The fixed monthly cost of the deployed stack at zero traffic, from what the template creates. */
export function renderIdleCost(resources: Record<string, TemplateResource>): string {
  const all = Object.values(resources);
  const keys = all.filter((resource) => resource.Type === 'AWS::KMS::Key').length;
  const dashboards = all.filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard').length;
  const alarms = all.filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
  // CloudWatch bills an alarm per metric it reads: a metric-math alarm counts each of its metrics.
  const alarmMetrics = alarms.reduce((sum, alarm) => sum + (alarm.Properties?.Metrics ? alarm.Properties.Metrics.filter((metric) => metric.MetricStat).length : 1), 0);
  const dollars = (value: number) => `$${value.toFixed(2)}`;
  const alarmCost = alarmMetrics * PRICES.alarmMetric;
  const alarmCostFree = Math.max(0, alarmMetrics - PRICES.freeAlarmMetrics) * PRICES.alarmMetric;
  const total = keys * PRICES.kmsKey + dashboards * PRICES.dashboard;
  return table(
    ['what', 'count', 'per month'],
    [
      ['KMS customer-managed key', String(keys), dollars(keys * PRICES.kmsKey)],
      ['CloudWatch dashboard', String(dashboards), dollars(dashboards * PRICES.dashboard)],
      [`CloudWatch alarm metrics (${alarms.length} alarms)`, String(alarmMetrics), `${dollars(alarmCost)} (${dollars(alarmCostFree)} if the account's first ${PRICES.freeAlarmMetrics} free alarm metrics are unused)`],
      ['**fixed total**', '', `**${dollars(total + alarmCostFree)}–${dollars(total + alarmCost)}**`],
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Benchmarks (not checked for drift: every bench run changes the numbers)

interface BenchReportFile {
  machine: string;
  startedAt?: string;
  results: { name: string; value: number; unit: string; target: string; pass: boolean | null }[];
  notes?: string[];
}

/**
 * The cost rows of the recorded bench results (bench/results.json, written only by `npm run bench
 * -- --record`; a plain run's results.local.json is never quoted) as a table, or a marked
 * placeholder when there are none.
 */
export function renderBench(): string {
  const path = resolve(ROOT, RESULTS_FILES.recorded);
  const todo = '> **To fill:** no cost figures in `bench/results.json` yet. Run `npm run bench -- --record`, then regenerate this block (`npx tsx test/docs/render.ts --write`).';
  if (!existsSync(path)) return todo;
  const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReportFile;
  const costs = report.results.filter((result) => result.name.startsWith('cost · '));
  if (costs.length === 0) return todo;
  const number = (value: number, unit: string) => (unit === 'USD' ? `$${value.toFixed(3)}` : unit === '×' ? `${value.toFixed(0)}×` : `${value} ${unit}`);
  return [
    table(
      ['', 'value', 'target', 'result'],
      costs.map((result) => [result.name.slice('cost · '.length), number(result.value, result.unit), result.target, result.pass === null ? '' : result.pass ? 'met' : '**missed**']),
    ),
    '',
    ...(report.notes ?? []).filter((note) => note.startsWith('cost · ')).map((note) => `- ${note.slice('cost · '.length)}`),
    '',
    `From \`npm run bench\`${report.startedAt ? ` on ${report.startedAt.slice(0, 10)}` : ''} (${report.machine}); all its measurements are in \`bench/results.json\`.`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Blocks

export interface GeneratedBlock {
  file: string;
  name: string;
  /** Rendered from the code now; `template` is the synthesized stack's resources when a block needs it. */
  render: (template: () => Record<string, TemplateResource & { DeletionPolicy?: string }>) => string;
  /** False for blocks that are refreshed by --write but not compared (measurements). */
  checked: boolean;
}

export const BLOCKS: readonly GeneratedBlock[] = [
  { file: 'docs/deploy.md', name: 'settings', render: renderSettingsTables, checked: true },
  { file: 'docs/deploy.md', name: 'retained', render: (template) => renderRetained(template()), checked: true },
  { file: 'docs/deploy.md', name: 'idle-cost', render: (template) => renderIdleCost(template()), checked: true },
  { file: 'docs/deploy.md', name: 'bench', render: renderBench, checked: false },
  { file: 'docs/integrate.md', name: 'catalogue', render: renderCatalogueTable, checked: true },
  { file: 'docs/integrate.md', name: 'examples', render: renderExamples, checked: true },
  { file: 'docs/clinicians.md', name: 'instrument', render: renderInstrument, checked: true },
  { file: 'docs/clinicians.md', name: 'thresholds', render: renderThresholds, checked: true },
  { file: 'docs/clinicians.md', name: 'backtest', render: renderBacktest, checked: true },
  { file: 'docs/clinicians.md', name: 'detector-figures', render: renderDetectorFigures, checked: true },
  { file: 'docs/detector.md', name: 'detector-report', render: renderDetectorReport, checked: true },
  { file: 'docs/detector.md', name: 'detector-ceiling', render: renderDetectorCeiling, checked: true },
];

function markers(name: string): { begin: string; end: string } {
  return { begin: `<!-- BEGIN GENERATED: ${name} -->`, end: `<!-- END GENERATED: ${name} -->` };
}

/** The content between a block's markers, or undefined when the file has no such block. */
export function readBlock(text: string, name: string): string | undefined {
  const { begin, end } = markers(name);
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) return undefined;
  return text.slice(start + begin.length, stop).replace(/^\n/, '').replace(/\n$/, '');
}

/** The text with a block's content replaced. */
export function replaceBlock(text: string, name: string, content: string): string {
  const { begin, end } = markers(name);
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`no block "${name}" (add the ${begin} and ${end} lines first)`);
  return `${text.slice(0, start + begin.length)}\n${content}\n${text.slice(stop)}`;
}

/** Synthesizes the stack once (bundling skipped) and returns its resources. */
export async function synthesizedResources(): Promise<Record<string, TemplateResource & { DeletionPolicy?: string }>> {
  const { synthStack } = await import('../infra/synth.ts');
  return synthStack().template.toJSON()['Resources'] as Record<string, TemplateResource & { DeletionPolicy?: string }>;
}

async function write(): Promise<void> {
  const resources = await synthesizedResources();
  for (const file of [...new Set(BLOCKS.map((block) => block.file))]) {
    const path = resolve(ROOT, file);
    let text = readFileSync(path, 'utf8');
    for (const block of BLOCKS.filter((candidate) => candidate.file === file)) text = replaceBlock(text, block.name, block.render(() => resources));
    writeFileSync(path, text);
    console.log(`updated ${file}`);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href;
}

if (isEntryPoint()) {
  if (process.argv.includes('--write')) await write();
  else for (const block of BLOCKS) console.log(`--- ${block.file}: ${block.name}\n${block.render(() => ({}))}\n`);
}
