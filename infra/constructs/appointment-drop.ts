/**
 * The optional appointment drop bucket (context `appointmentDropDays`): a practice, or a scheduled
 * export of its EHR, puts an appointment CSV under `incoming/`, and the appointment-import function
 * imports it as `npx alliance import` does and writes its report under `reports/`.
 *
 * The files hold client references and appointment times (health information), so the bucket is
 * encrypted with the stack's key (an S3 bucket key keeps KMS calls to a few per file), blocks every
 * kind of public access, refuses requests without TLS, and deletes files and reports after the
 * configured days (old versions a day later). Versioning lets the function read exactly the
 * version that triggered it, twice, even if the file is replaced meanwhile.
 */
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import type { ProductFunction } from './product-function.ts';

/** Where files are dropped, and where their reports go (the function's grants name these prefixes). */
export const DROP_PREFIXES = { incoming: 'incoming/', reports: 'reports/' } as const;

export interface AppointmentDropProps {
  key: IKey;
  /** Days before a file and its report are deleted. */
  expiryDays: number;
}

export class AppointmentDrop extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: AppointmentDropProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireDroppedFilesAndReports',
          expiration: Duration.days(props.expiryDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiredObjectDeleteMarker: false,
        },
      ],
      // The files are copies of the EHR's export, kept days at most: nothing to retain.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    new CfnOutput(scope, 'AppointmentDropBucketName', {
      value: this.bucket.bucketName,
      description: `Put appointment CSVs under ${DROP_PREFIXES.incoming}; each report appears under ${DROP_PREFIXES.reports}`,
    });
  }

  /** Invokes the import function for every CSV created under `incoming/`. */
  connect(fn: ProductFunction): void {
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(fn.function), { prefix: DROP_PREFIXES.incoming, suffix: '.csv' });
  }
}
