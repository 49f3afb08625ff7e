/**
 * CPU taken during a stretch of a benchmark, per session: this Node process (the SDK clients and the
 * in-process stand-ins) and the DynamoDB Local JVM, read from /proc (undefined where there is none).
 */
import { readFileSync } from 'node:fs';

export interface CpuPerSession {
  node: number;
  dynamodbLocal: number | undefined;
}

/** User + system CPU of a process so far, in ms (from /proc; clock ticks are 10 ms on Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Starts measuring now; `perSession(n)` divides what was used since by n sessions. */
export function startCpuMeter(dynamoDbPid: number | undefined): { perSession(sessions: number): CpuPerSession } {
  const javaBefore = dynamoDbPid === undefined ? undefined : processCpuMs(dynamoDbPid);
  const nodeBefore = process.cpuUsage();
  return {
    perSession(sessions) {
      const node = process.cpuUsage(nodeBefore);
      const javaAfter = dynamoDbPid === undefined ? undefined : processCpuMs(dynamoDbPid);
      return {
        node: (node.user + node.system) / 1000 / sessions,
        dynamodbLocal: javaBefore === undefined || javaAfter === undefined ? undefined : (javaAfter - javaBefore) / sessions,
      };
    },
  };
}
