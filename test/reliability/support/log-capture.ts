/**
 * Captures every line this process writes to stdout and stderr — Powertools Logger writes its JSON
 * lines there through its own Console, the local stack's console lines arrive through `line` — so
 * a test can search them. Captured lines are kept, not printed; reliability figures (`PASS  [`,
 * `FAIL  [`) still go through.
 */
export interface OutputCapture {
  lines: string[];
  /** For the local stack's `write` option. */
  line: (text: string) => void;
  stop(): void;
}

export function captureOutput(): OutputCapture {
  const lines: string[] = [];
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  const partial = { stdout: '', stderr: '' };
  const intercept = (name: 'stdout' | 'stderr') =>
    function write(this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const text = partial[name] + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const parts = text.split('\n');
      partial[name] = parts.pop() ?? '';
      for (const part of parts) {
        if (/^(PASS|FAIL) {2}\[/.test(part)) originals[name].call(process[name], `${part}\n`);
        else lines.push(part);
      }
      const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  process.stdout.write = intercept('stdout') as typeof process.stdout.write;
  process.stderr.write = intercept('stderr') as typeof process.stderr.write;
  return {
    lines,
    line: (text) => lines.push(text),
    stop() {
      process.stdout.write = originals.stdout;
      process.stderr.write = originals.stderr;
      for (const name of ['stdout', 'stderr'] as const) if (partial[name]) lines.push(partial[name]);
    },
  };
}

/** The forms a value takes in a log line: as is, and JSON-escaped (quotes, backslashes, control characters). */
export function logForms(value: string): string[] {
  const escaped = JSON.stringify(value).slice(1, -1);
  return escaped === value ? [value] : [value, escaped];
}

/** Lines that contain any of the values (in any of their log forms), with the value that leaked. */
export function leaksIn(lines: readonly string[], values: readonly string[]): { line: string; value: string }[] {
  const forms = values.flatMap((value) => logForms(value).map((form) => ({ form, value })));
  const leaks: { line: string; value: string }[] = [];
  for (const line of lines) {
    const hit = forms.find(({ form }) => line.includes(form));
    if (hit) leaks.push({ line, value: hit.value });
  }
  return leaks;
}
