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
// A second file of package realname.reporting.v1 (the deadline board), under its own namespace.
export * as reportingDeadlinesV1 from './generated/realname/reporting/v1/deadlines';
// The upload API of package realname.reporting.v1 (status, rejections, resubmission).
export * as reportingV1 from './generated/realname/reporting/v1/reporting';

export * from './proto-files';
