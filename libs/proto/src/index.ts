/**
 * Public entry of @realname/proto.
 *
 * Every generated module (libs/proto/src/generated, produced by
 * `npm run proto:gen` from /proto — never edit by hand) is re-exported under
 * its own namespace, named after its proto package, so identical names from
 * different packages/versions never collide:
 *
 *   import { attendanceV1 } from '@realname/proto';
 *   class AttendanceGrpcController implements attendanceV1.AttendanceServiceController { ... }
 */
export * as attendanceV1 from './generated/realname/attendance/v1/attendance';
export * as registryV1 from './generated/realname/registry/v1/registry';

export * from './proto-files';
