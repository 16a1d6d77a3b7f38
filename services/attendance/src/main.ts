import 'reflect-metadata';
import { grpcServerTlsOf, runService } from '@realname/platform';
import { ATTENDANCE_V1_PACKAGE, ATTENDANCE_V1_PROTO, PROTO_ROOT, protoPath } from '@realname/proto';
import { AttendanceModule } from './attendance.module';
import { AttendanceConfigSchema } from './config';

void runService({
  name: 'attendance',
  configSchema: AttendanceConfigSchema,
  module: (config, shared) => AttendanceModule.forRoot(config, shared),
  http: (c) => ({ host: c.ATTENDANCE_HTTP_HOST, port: c.ATTENDANCE_HTTP_PORT }),
  logLevel: (c) => c.LOG_LEVEL,
  grpc: (c) => ({
    url: c.ATTENDANCE_GRPC_URL,
    packages: [ATTENDANCE_V1_PACKAGE],
    protoPaths: [protoPath(ATTENDANCE_V1_PROTO)],
    includeDir: PROTO_ROOT,
    services: [
      `${ATTENDANCE_V1_PACKAGE}.AttendanceService`,
      `${ATTENDANCE_V1_PACKAGE}.AttendancePresenceService`,
    ],
    tls: grpcServerTlsOf(c),
  }),
  openapi: {
    title: 'Attendance',
    description: 'Punches per project, person and day; daily counts; analytics from ClickHouse.',
    version: '1',
  },
}).catch((err) => {
  process.stderr.write(`attendance failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
