/**
 * The hostile run as a suite, shared by the small version in `npm test` and the reliability run:
 * a stack started with a hostile PRACTICE_NAME, alerts that show first names and comments, the
 * functions logging at DEBUG, and every line this process writes captured.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfigurationError, readSettingsFromEnv, REQUEST_SETTINGS } from '../../../shared/config.ts';
import { startReliabilityStack, type ReliabilityStack } from './harness.ts';
import { HOSTILE_ENVIRONMENT, runHostileScenario, type HostileResult } from './hostile.ts';
import { captureOutput, leaksIn, type OutputCapture } from './log-capture.ts';
import { report } from './report.ts';

/** Log lines the functions must at least have written, so that a capture that saw nothing cannot pass. */
const MIN_FUNCTION_LINES = 50;

export function hostileSuite(): void {
  const environment = { ...HOSTILE_ENVIRONMENT, POWERTOOLS_LOG_LEVEL: 'DEBUG' };
  const previous = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  let harness: ReliabilityStack;
  let capture: OutputCapture;
  let run: HostileResult | undefined;

  beforeAll(async () => {
    // The functions read their settings when the stack loads them, once per process.
    Object.assign(process.env, environment);
    capture = captureOutput();
    harness = await startReliabilityStack({ quiet: false, write: capture.line });
  });

  afterAll(async () => {
    await harness?.stop();
    capture?.stop();
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('shows the injection corpus escaped in every email and page, and lets none of it add a mail header', async () => {
    run = await runHostileScenario(harness, { item: '3 bad input', prefix: 'hostile' });
    for (const figure of run.figures) report(figure);

    expect(run.problems.slice(0, 10)).toEqual([]);
  }, 180_000);

  it('writes no client email address, name or comment to any log line', () => {
    expect(run).toBeDefined();
    const values = [...run!.personal.emails, ...run!.personal.names, ...run!.personal.comments];
    const leaks = leaksIn(capture.lines, values);
    const functionLines = capture.lines.filter((line) => line.startsWith('{') && line.includes('"service"'));
    const sawSession = functionLines.some((line) => line.includes(run!.loggedSessionId));
    // The failure paths log too: SES refusing the personal-data address (its error names it), an event the contract refuses.
    const failureLines = functionLines.filter((line) => /Record failed|Event rejected/.test(line)).length;
    report({
      item: '4 personal data',
      check: 'log lines of the whole hostile run (functions at DEBUG, and the stack)',
      figure: `${capture.lines.length} lines (${functionLines.length} from the functions, ${failureLines} on failure paths, the personal-data session's among them: ${sawSession}); ${values.length} personal values searched; leaks ${leaks.length}`,
      pass: leaks.length === 0 && functionLines.length >= MIN_FUNCTION_LINES && sawSession && failureLines > 0,
    });

    expect(leaks.slice(0, 5)).toEqual([]);
    expect(functionLines.length).toBeGreaterThanOrEqual(MIN_FUNCTION_LINES);
    expect(sawSession).toBe(true);
    expect(failureLines).toBeGreaterThan(0);
  });

  it('refuses a practice name with a line break, so it can never reach a mail header', () => {
    const env = { PRACTICE_NAME: 'Riverside\r\nBcc: victim@example.com', FORM_BASE_URL: 'https://forms.example', PRACTICE_TIME_ZONE: 'America/New_York' };

    expect(() => readSettingsFromEnv(REQUEST_SETTINGS, env)).toThrow(ConfigurationError);
    expect(() => readSettingsFromEnv(REQUEST_SETTINGS, env)).toThrow(/PRACTICE_NAME/);
  });
}
