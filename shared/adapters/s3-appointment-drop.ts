/**
 * The appointment drop bucket as the import function uses it: a dropped file read as a stream (the
 * exact version that triggered the import, so both passes read the same bytes even if the file is
 * replaced meanwhile), the optional mapping beside the files, the report written under `reports/`.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';

/** The mapping the drop uses for every file, when the practice puts one there. */
export const DROP_MAPPING_KEY = 'incoming/mapping.json';

let sharedS3Client: S3Client | undefined;

/** The container-wide S3 client. */
export function getS3Client(): S3Client {
  sharedS3Client ??= new S3Client({});
  return sharedS3Client;
}

/** `incoming/2026/march.csv` → `reports/2026/march.csv.report.json`: the report beside the file, under the prefix the function may write. */
export function reportKeyFor(key: string): string {
  return `reports/${key.replace(/^incoming\//, '')}.report.json`;
}

export class S3AppointmentDrop {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = getS3Client(),
  ) {}

  /** The object's bytes as a stream. */
  async open(key: string, versionId?: string): Promise<Readable> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
    const body = response.Body;
    if (body instanceof Readable) return body;
    if (body !== undefined && Symbol.asyncIterator in (body as object)) return Readable.from(body as AsyncIterable<Uint8Array>);
    if (body !== undefined && 'transformToByteArray' in (body as object)) return Readable.from([Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())]);
    return Readable.from([]);
  }

  /**
   * The drop's mapping file, if there is one. Without s3:ListBucket (not granted: the function has
   * no business listing the files) S3 answers a missing key with AccessDenied, not NoSuchKey, so
   * both mean "no mapping".
   */
  async mapping(): Promise<string | undefined> {
    try {
      const body = await this.open(DROP_MAPPING_KEY);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'NoSuchKey' || name === 'AccessDenied' || name === 'NotFound') return undefined;
      throw error;
    }
  }

  /** Writes the report (JSON) beside the file; returns its key. */
  async writeReport(key: string, report: unknown): Promise<string> {
    const reportKey = reportKeyFor(key);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: reportKey, Body: `${JSON.stringify(report, null, 2)}\n`, ContentType: 'application/json' }));
    return reportKey;
  }
}
