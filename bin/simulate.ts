/**
 * `alliance simulate`: writes a synthetic labelled cohort in the backtest's CSV format.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { SIMULATOR_NAMES, SIMULATORS, simulateCohort, simulatedCsvHeader, simulatedCsvLine, type SimulatorName } from '../shared/domain/backtest/simulate.ts';
import { DEFAULT_INSTRUMENT } from '../shared/domain/instruments.ts';
import { parseOptions, wholeNumber } from './args.ts';
import { InputError, UsageError } from './errors.ts';

export const SIMULATE_HELP = `Usage: alliance simulate [--simulator NAME] [--clients N] [--seed S] [--out file.csv]

Writes a synthetic cohort in the backtest's CSV format, with rupture labels, weekly sessions.
The same simulator and seed always give the same file. Simulators:
${SIMULATOR_NAMES.map((name) => `  ${name.padEnd(14)} ${SIMULATORS[name].description}`).join('\n')}

A session is labelled 1 where a rupture begins: the client's true level (before answer noise)
has just fallen at least 6 points of 40 below their usual total, or one item at least 4 points
of 10 below its usual value, and the session before was not that far down. Simulated clients
never tick "I'd like to talk" (the tick alerts alike under every setting; a guessed rate would
only blur the comparison of the score rules).

Options:
  --simulator NAME Which simulator (default mixed)
  --clients N      Number of clients (default 600)
  --seed S         Random seed, a whole number (default 1)
  --out FILE       Write to FILE instead of stdout
  -h, --help       Show this help
`;

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Runs `alliance simulate`. */
export async function simulateCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(args, { simulator: { type: 'string' }, clients: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } }, false);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const simulator = (values.simulator ?? 'mixed') as SimulatorName;
  if (!SIMULATOR_NAMES.includes(simulator)) throw new UsageError(`unknown simulator "${simulator}" (known: ${SIMULATOR_NAMES.join(', ')})`);
  const clients = wholeNumber(values.clients, 'clients', 600, 1, 10_000_000);
  const seed = wholeNumber(values.seed, 'seed', 1, 0, 2 ** 32 - 1);
  const instrument = DEFAULT_INSTRUMENT;

  const out: Writable = values.out ? createWriteStream(values.out) : process.stdout;
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let sessions = 0;
  try {
    await Promise.race([
      (async () => {
        // Batched writes: one write per session would cost more than generating it.
        let batch = `${simulatedCsvHeader(instrument)}\n`;
        for (const session of simulateCohort({ clients, seed, simulator }, instrument)) {
          batch += `${simulatedCsvLine(session, instrument)}\n`;
          sessions += 1;
          if (batch.length > 64 * 1024) {
            await write(out, batch);
            batch = '';
          }
        }
        await write(out, batch);
      })(),
      failed,
    ]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return; // the reader (e.g. `head`) has had enough
    throw new InputError(`cannot write ${values.out ?? 'to stdout'}: ${(error as Error).message}`);
  }
  if (values.out) {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    process.stderr.write(`alliance simulate: wrote ${sessions.toLocaleString('en')} sessions of ${clients.toLocaleString('en')} clients to ${values.out}\n`);
  }
}
