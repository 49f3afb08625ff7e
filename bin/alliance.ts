/**
 * `alliance`: the command line of Alliance Feedback. Subcommands:
 * - `backtest <scores.csv>`: what each rule would have sent on a practice's past scores;
 * - `backtest-report`: every rule on every simulator over a sweep of seeds;
 * - `simulate`: a synthetic labelled cohort in the same CSV format, for demos and tests;
 * - `export <clientId>` / `erase <clientId>`: a client's data as JSON / deleted everywhere;
 * - `clients import|list|remove`: the client roster the inbound paths complete sessions from;
 * - `clients unblock <clientId>` / `clients allow <email>`: lift an opt-out, a block, a do-not-contact entry;
 * - `therapists import|add|list|remove|cover|uncover`: the therapist directory, the only addresses alerts go to;
 * - `links revoke`: links to clients' trend pages, revoked before they expire;
 * - `redrive`: dead-lettered messages back to their queues;
 * - `webhook-secret create|rotate|retire-previous|generate`: the signed webhook's secret;
 * - `digest send [--therapist ID]`: the therapists' weekly digest, now;
 * - `import <appointments.csv>`: an EHR's appointment export → SessionCompleted for each completed one;
 * - `feeds poll`: one poll of the calendar feeds, now.
 * - `fhir poll`: one poll of the FHIR R4 server, now.
 */
import { backtestCommand, BACKTEST_HELP } from './backtest.ts';
import { backtestReportCommand, BACKTEST_REPORT_HELP } from './backtest-report.ts';
import { eraseCommand, ERASE_HELP, exportCommand, EXPORT_HELP } from './client-data.ts';
import { digestCommand, DIGEST_HELP } from './digest.ts';
import { clientsCommand, CLIENTS_HELP } from './clients.ts';
import { feedsCommand, FEEDS_HELP } from './feeds.ts';
import { fhirCommand, FHIR_HELP } from './fhir.ts';
import { InputError, UsageError } from './errors.ts';
import { importCommand, IMPORT_HELP } from './import.ts';
import { linksCommand, LINKS_HELP } from './links.ts';
import { redriveCommand, REDRIVE_HELP } from './redrive.ts';
import { simulateCommand, SIMULATE_HELP } from './simulate.ts';
import { therapistsCommand, THERAPISTS_HELP } from './therapists.ts';
import { webhookSecretCommand, WEBHOOK_SECRET_HELP } from './webhook-secret.ts';

const HELP = `Usage: alliance <command> [options]

Commands:
  backtest <scores.csv>   Replay past scores through our rules and the anchors' rules
                          (alerts per 100 sessions, clients alerted, alerts right, ruptures caught)
  backtest-report         Every rule on every simulator over a sweep of seeds: the detector's evidence
  simulate                Write a synthetic labelled cohort in the backtest's CSV format
  export <clientId>       Write everything stored about a client as JSON
  erase <clientId>        Delete everything stored about a client; publish ClientErased
                          (a tombstone stays; an opt-out stays as a keyed hash of the address)
  clients import <clients.csv>
                          Add and update the client roster from a CSV (list, remove: see
                          alliance clients --help); clients missing from the file are kept
  clients unblock <clientId>
                          Lift a client's opt-out or delivery block (audited: ClientContactRestored)
  clients allow <email>   Take an address off the do-not-contact list (audited likewise)
  therapists import <therapists.csv> | add <therapistId> <email> | list | remove <therapistId> | cover | uncover
                          The therapist directory: alerts go only to the addresses registered here
  links revoke <link> | --therapist <therapistId> [--client <clientId>]
                          Revoke links to clients' trend pages before they expire
  redrive                 Move dead-lettered messages back to their queues, with the reasons
  webhook-secret create|rotate|retire-previous|generate
                          The signed webhook's secret (shown once; rotation keeps the previous one)
  import <appointments.csv>
                          Announce each completed appointment of an EHR export (--dry-run first)
  feeds poll              Poll the calendar feeds now: each ended instance becomes one SessionCompleted
  digest send [--therapist ID]
                          Send therapists their weekly digest now (only those with active clients)
  fhir poll               Poll the FHIR R4 server now: each finished encounter becomes one SessionCompleted

Options:
  -h, --help              Show help (also: alliance <command> --help)

Examples:
  npx alliance simulate --clients 600 --seed 1 --out cohort.csv
  npx alliance backtest cohort.csv
  npx alliance backtest cohort.csv --json
  npx alliance export c-1042 --out c-1042.json
  npx alliance redrive --all --dry-run
`;

const COMMANDS: Record<string, { run: (args: string[]) => Promise<void>; help: string }> = {
  backtest: { run: backtestCommand, help: BACKTEST_HELP },
  'backtest-report': { run: backtestReportCommand, help: BACKTEST_REPORT_HELP },
  simulate: { run: simulateCommand, help: SIMULATE_HELP },
  export: { run: exportCommand, help: EXPORT_HELP },
  erase: { run: eraseCommand, help: ERASE_HELP },
  clients: { run: clientsCommand, help: CLIENTS_HELP },
  links: { run: linksCommand, help: LINKS_HELP },
  redrive: { run: redriveCommand, help: REDRIVE_HELP },
  therapists: { run: therapistsCommand, help: THERAPISTS_HELP },
  'webhook-secret': { run: (args) => webhookSecretCommand(args), help: WEBHOOK_SECRET_HELP },
  import: { run: (args) => importCommand(args), help: IMPORT_HELP },
  feeds: { run: feedsCommand, help: FEEDS_HELP },
  digest: { run: digestCommand, help: DIGEST_HELP },
  fhir: { run: fhirCommand, help: FHIR_HELP },
};

/** Runs the CLI with the given arguments and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic?.help ?? HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`alliance: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`alliance ${name}: ${error.message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof InputError) {
      process.stderr.write(`alliance ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
