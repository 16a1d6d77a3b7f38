import 'reflect-metadata';
import { runService } from '@realname/platform';
import { ReportingConfigSchema } from './config';
import { ReportingModule } from './reporting.module';

void runService({
  name: 'reporting',
  configSchema: ReportingConfigSchema,
  module: (config, shared) => ReportingModule.forRoot(config, shared),
  http: (c) => ({ host: c.REPORTING_HTTP_HOST, port: c.REPORTING_HTTP_PORT }),
  logLevel: (c) => c.LOG_LEVEL,
  openapi: {
    title: 'Reporting',
    description: 'Uploads to the national and provincial platforms: the upload ledger and its sender.',
    version: '1',
  },
}).catch((err) => {
  process.stderr.write(`reporting failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
