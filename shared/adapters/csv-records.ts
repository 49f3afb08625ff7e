/**
 * Reads a CSV file the way practices actually produce them, one record at a time (streaming: memory
 * does not grow with the file), for every import (therapists, client roster, appointments).
 *
 * What spreadsheets and EHR exports really send, and what this accepts:
 * - a UTF-8 byte-order mark (Excel's "CSV UTF-8"), or UTF-16 with its mark (Excel's "Unicode text");
 * - `;` as the delimiter (spreadsheets in locales where `,` is the decimal separator) or a tab,
 *   detected from the header line; `,` otherwise;
 * - quoted fields with delimiters, doubled quotes and line breaks inside;
 * - blank lines, and surrounding spaces in the header's column names.
 * Parsing is csv-parse's (RFC 4180); this module only decodes, detects and numbers lines.
 *
 * Every record carries the line it starts on (1-based, the header is line 1), so an import can name
 * the line of a bad row even when an earlier field spans several lines. A row with more or fewer
 * fields than the header is yielded with `fieldCountError` instead of stopping the whole file:
 * imports report bad rows by line and apply none of them.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse, type Info } from 'csv-parse';

export interface CsvRecord {
  /** The line the record starts on (the header is line 1). */
  line: number;
  /** Field values by column name (trimmed column names, values as written). */
  fields: Record<string, string>;
  /** Set when the row has a different number of fields than the header. */
  fieldCountError?: string;
}

export interface CsvFile {
  /** Column names from the header line, trimmed, in file order. */
  columns: string[];
  records: AsyncIterable<CsvRecord>;
}

/** A CSV the reader cannot read at all (no header, undecodable, broken quoting); says where. */
export class CsvFormatError extends Error {
  constructor(message: string, readonly line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'CsvFormatError';
  }
}

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** Picks the encoding from a byte-order mark; without one, UTF-8 (what every current export writes). */
export function encodingOf(head: Uint8Array): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/** The delimiter a header line uses: the most frequent of `,` `;` and tab outside quotes (`,` on a tie). */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char in counts) counts[char as keyof typeof counts] += 1;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

/**
 * Bytes → text in the detected encoding, without the mark, with every line break as `\n`; decodes
 * across chunk boundaries. Breaks are normalised because csv-parse counts a `\r\n` inside a quoted
 * field as two lines, which would put every later line number off by one.
 */
class Decode extends Transform {
  private decoder: TextDecoder | undefined;
  private pending = Buffer.alloc(0);
  /** A `\r` that ended the previous chunk: its `\n` may start the next one. */
  private carriageReturn = false;

  private normalise(text: string, last: boolean): string {
    let joined = (this.carriageReturn ? '\r' : '') + text;
    this.carriageReturn = !last && joined.endsWith('\r');
    if (this.carriageReturn) joined = joined.slice(0, -1);
    return joined.replace(/\r\n?/g, '\n');
  }

  constructor() {
    super({ readableObjectMode: false, decodeStrings: true });
    this.setEncoding('utf-8');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.decoder === undefined) {
        // The mark needs up to 3 bytes; wait for them (a file shorter than that is decoded at flush).
        this.pending = Buffer.concat([this.pending, chunk]);
        if (this.pending.length < 3) return done();
        chunk = this.pending;
        this.pending = Buffer.alloc(0);
        this.decoder = new TextDecoder(encodingOf(chunk), { fatal: true });
      }
      // TextDecoder drops a leading mark of its own encoding (ignoreBOM is false by default).
      done(null, this.normalise(this.decoder.decode(chunk, { stream: true }), false));
    } catch {
      done(new CsvFormatError('the file is not valid UTF-8 or UTF-16 text; save it as "CSV UTF-8"'));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const decoder = this.decoder ?? new TextDecoder(encodingOf(this.pending), { fatal: true });
      done(null, this.normalise(decoder.decode(this.decoder === undefined ? this.pending : undefined), true));
    } catch {
      done(new CsvFormatError('the file is not valid UTF-8 or UTF-16 text; save it as "CSV UTF-8"'));
    }
  }
}

/**
 * Opens a CSV from a byte stream: reads the header (to detect the delimiter and the columns), then
 * yields the records lazily. Throws CsvFormatError for a file with no header line.
 */
export async function readCsv(bytes: Readable | AsyncIterable<Uint8Array>): Promise<CsvFile> {
  const text = (bytes instanceof Readable ? bytes : Readable.from(bytes)).pipe(new Decode());
  const iterator = text[Symbol.asyncIterator]() as AsyncIterator<string>;

  // Read until the first line break to see the header; everything read is replayed to the parser.
  let head = '';
  while (!head.includes('\n')) {
    const next = await iterator.next();
    if (next.done) break;
    head += next.value;
  }
  const headerLine = head.split('\n')[0] ?? '';
  if (headerLine.trim() === '') throw new CsvFormatError('the file is empty or its first line is blank; the first line must name the columns', 1);
  const delimiter = detectDelimiter(headerLine);

  async function* replay(): AsyncGenerator<string> {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }

  const parser = Readable.from(replay()).pipe(parse({
    delimiter,
    columns: (header: string[]) => header.map((name) => name.trim()),
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    raw: true,
  }));

  const columns = headerLine.split(delimiter).map((name) => name.trim().replace(/^"(.*)"$/, '$1'));

  async function* records(): AsyncGenerator<CsvRecord> {
    try {
      for await (const { record, info, raw } of parser as AsyncIterable<{ record: Record<string, string>; info: Info; raw: string }>) {
        // info.lines is the line the record ends on; a quoted field may have spanned several lines.
        // raw may begin with skipped blank lines and end with the line break: count only breaks inside.
        const spanned = (raw.replace(/^\n+|\n+$/g, '').match(/\n/g) ?? []).length;
        const line = info.lines - spanned;
        const fieldCount = countFields(raw, delimiter);
        const fieldCountError = fieldCount === columns.length ? undefined : `has ${fieldCount} fields where the header has ${columns.length}`;
        yield { line, fields: record, ...(fieldCountError === undefined ? {} : { fieldCountError }) };
      }
    } catch (error) {
      const where = typeof (error as { lines?: unknown }).lines === 'number' ? (error as { lines: number }).lines : undefined;
      throw new CsvFormatError(`${(error as Error).message.replace(/ on line \d+$/, '')}`, where);
    }
  }

  return { columns, records: records() };
}

/** Counts the fields of one raw record (quote-aware), for the message about a wrong field count. */
function countFields(raw: string, delimiter: string): number {
  let fields = 1;
  let quoted = false;
  for (const char of raw.replace(/^\n+|\n+$/g, '')) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === delimiter) fields += 1;
  }
  return fields;
}
