import type { Provider } from '@nestjs/common';
import { Database } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { RegistryCopiesRepository } from '../records/records.repository';
import { UplinkCredentialsRepository } from '../uplinks/credentials.repository';
import { PutCredentialsHandler } from './put-credentials.handler';
import { ResubmitRecordHandler } from './resubmit-record.handler';
import { UploadQueries } from './upload-queries';
import { UploadsGrpcController } from './uploads.grpc';
import { UploadsRepository } from './uploads.repository';
import { UploadsController } from './uploads.rest';

/** The controllers of the upload APIs (REST and gRPC). */
export const UPLOAD_CONTROLLERS = [UploadsController, UploadsGrpcController];

/** The handlers behind them, over the service's database and schema. */
export function uploadProviders(schema: string): Provider[] {
  const uploads = new UploadsRepository(schema);
  return [
    {
      provide: UploadQueries,
      useFactory: (db: Database) => new UploadQueries(db, uploads),
      inject: [Database],
    },
    {
      provide: ResubmitRecordHandler,
      useFactory: (db: Database) =>
        new ResubmitRecordHandler(db, uploads, new RegistryCopiesRepository(schema)),
      inject: [Database],
    },
    {
      provide: PutCredentialsHandler,
      useFactory: (db: Database, vault: PersonalDataVault) =>
        new PutCredentialsHandler(db, uploads, new UplinkCredentialsRepository(schema, vault)),
      inject: [Database, PersonalDataVault],
    },
  ];
}
