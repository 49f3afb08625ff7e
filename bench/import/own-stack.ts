/**
 * Runs the appointment import benchmark on a local stack of its own, in this process, and prints
 * the result as JSON on stdout (progress on stderr). bench/run.ts starts it as a child process:
 * the other benchmarks' stack has loaded the functions in the parent already, and a second local
 * stack cannot share a process with the first (handlers read their environment once).
 *
 * The stack runs without the IAM simulation, whose administrator may put events on the product
 * bus only: the import targets the default bus, where SessionCompleted reaches no function.
 */
import { startLocalStack } from '../../infra/local/stack.ts';
import { runImportBench } from './import.ts';

const [workDir, rows] = process.argv.slice(2);
if (workDir === undefined || rows === undefined) throw new Error('usage: own-stack.ts <workDir> <rows>');
const stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, iam: false });
try {
  const result = await runImportBench({ workDir, busEndpoint: stack.endpoints.bus, rows: Number(rows), log: (line) => process.stderr.write(`[bench] ${line}\n`) });
  process.stdout.write(JSON.stringify(result));
} finally {
  await stack.stop();
}
