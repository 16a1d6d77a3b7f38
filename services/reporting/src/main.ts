import 'reflect-metadata';
import { grpcServerTlsOf, runService } from '@realname/platform';
import {
  PROTO_ROOT,
  protoPath,
  REPORTING_DEADLINES_V1_PROTO,
  REPORTING_V1_PACKAGE,
  REPORTING_V1_PROTO,
} from '@realname/proto';
import { checkReportingConfig, ReportingConfigSchema } from './config';
import { ReportingModule } from './reporting.module';

void runService({
  name: 'reporting',
  configSchema: ReportingConfigSchema,
  module: (config, shared) => ReportingModule.forRoot(checkReportingConfig(config), shared),
  http: (c) => ({ host: c.REPORTING_HTTP_HOST, port: c.REPORTING_HTTP_PORT }),
  logLevel: (c) => c.LOG_LEVEL,
  grpc: (c) => ({
    url: c.REPORTING_GRPC_URL,
    packages: [REPORTING_V1_PACKAGE],
    protoPaths: [protoPath(REPORTING_V1_PROTO), protoPath(REPORTING_DEADLINES_V1_PROTO)],
    includeDir: PROTO_ROOT,
    services: [
      `${REPORTING_V1_PACKAGE}.ReportingUploadService`,
      `${REPORTING_V1_PACKAGE}.ReportingDeadlineService`,
    ],
    tls: grpcServerTlsOf(c),
  }),
  openapi: {
    title: 'Reporting',
    description: 'Uploads to the national and provincial platforms: the upload ledger and its sender.',
    version: '1',
  },
}).catch((err) => {
  process.stderr.write(`reporting failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
