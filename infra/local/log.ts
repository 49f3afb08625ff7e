/**
 * The local stack's console lines: one short, tagged line per thing that happened. Callers pass
 * ids, names and reasons only, never message bodies or addresses.
 */
export type LogLine = (tag: string, message: string) => void;

export function consoleLog(write: (line: string) => void = (line) => console.log(line)): LogLine {
  return (tag, message) => {
    const time = new Date().toTimeString().slice(0, 8);
    write(`${time} ${`[${tag}]`.padEnd(14)} ${message}`);
  };
}

export const silentLog: LogLine = () => undefined;
