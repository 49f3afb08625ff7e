/**
 * The local stack's console lines: one short, tagged line per thing that happened. Callers pass
 * ids, names and reasons only, never message bodies or addresses.
 */
export type LogLine = (tag: string, message: string) => void;

export function consoleLog(write: (line: string) => void = (line) => console.log(line)): LogLine {
  return (tag, message) => {
    const time = new Date().toTimeString().slice(0, 8);
    // Sources, detail-types and bus names come from whoever calls the bus: one line each, always.
    const printable = message.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, '?');
    write(`${time} ${`[${tag}]`.padEnd(14)} ${printable.length > 400 ? `${printable.slice(0, 400)}…` : printable}`);
  };
}

export const silentLog: LogLine = () => undefined;
