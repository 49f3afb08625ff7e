import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvFormatError, detectDelimiter, readCsv, type CsvRecord } from '../../../shared/adapters/csv-records.ts';

/** Feeds the bytes in chunks of `size` bytes, so decoding and line breaks straddle chunk boundaries. */
async function read(bytes: Buffer, size = bytes.length): Promise<{ columns: string[]; records: CsvRecord[] }> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const file = await readCsv(Readable.from(chunks));
  const records: CsvRecord[] = [];
  for await (const record of file.records) records.push(record);
  return { columns: file.columns, records };
}

const EXCEL_EUROPE = Buffer.from('\ufeffclientId;note\r\nc-1;"two\r\nlines"\r\n\r\nc-2;"a;b"\r\nc-3\r\n', 'utf-8');

describe('readCsv', () => {
  it.each([1, 2, 3, 7, 1000])('reads a European Excel export (BOM, ;, CRLF, quoted break, blank line) in chunks of %i bytes', async (size) => {
    const { columns, records } = await read(EXCEL_EUROPE, size);
    expect(columns).toEqual(['clientId', 'note']);
    expect(records).toEqual([
      { line: 2, fields: { clientId: 'c-1', note: 'two\nlines' } },
      { line: 5, fields: { clientId: 'c-2', note: 'a;b' } },
      { line: 6, fields: { clientId: 'c-3' }, fieldCountError: 'has 1 fields where the header has 2' },
    ]);
  });

  it.each([
    ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id\tname\r\n7\tJosé\r\n', 'utf16le')])],
    ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('id\tname\r\n7\tJosé\r\n', 'utf16le').swap16()])],
  ])('reads %s text with its byte-order mark (Excel "Unicode text": tab-separated)', async (_name, bytes) => {
    for (const size of [1, 3, bytes.length]) {
      const { columns, records } = await read(bytes, size);
      expect(columns).toEqual(['id', 'name']);
      expect(records).toEqual([{ line: 2, fields: { id: '7', name: 'José' } }]);
    }
  });

  it('trims the header names and keeps values as written', async () => {
    const { columns, records } = await read(Buffer.from(' clientId , email \nc-1, a@b.example\n'));
    expect(columns).toEqual(['clientId', 'email']);
    expect(records[0]?.fields).toEqual({ clientId: 'c-1', email: ' a@b.example' });
  });

  it('refuses a file without a header line, text that is not UTF-8, and an unclosed quote, naming the line', async () => {
    await expect(read(Buffer.from(''))).rejects.toThrow(CsvFormatError);
    await expect(read(Buffer.from('\n\na,b\n'))).rejects.toThrow(/line 1/);
    await expect(read(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xfe, 0xfd, 0x0a]))).rejects.toThrow(/CSV UTF-8/);
    await expect(read(Buffer.from('a,b\n1,2\n3,"open\n'))).rejects.toThrow(/line 3/);
  });

  it('detects the delimiter from the header, ignoring quoted ones', () => {
    expect(detectDelimiter('a,b,c')).toBe(',');
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('"a;x",b')).toBe(',');
    expect(detectDelimiter('a\tb')).toBe('\t');
    expect(detectDelimiter('single')).toBe(',');
  });
});
