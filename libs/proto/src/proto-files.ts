import * as path from 'path';
import { REALNAME_ATTENDANCE_V1_PACKAGE_NAME } from './generated/realname/attendance/v1/attendance';
import { REALNAME_REGISTRY_V1_PACKAGE_NAME } from './generated/realname/registry/v1/registry';
import { REALNAME_REPORTING_V1_PACKAGE_NAME } from './generated/realname/reporting/v1/deadlines';

/**
 * Absolute path of the repository's `proto/` directory (the buf module root),
 * e.g. for `@grpc/proto-loader` / Nest `GrpcOptions.options.protoPath` +
 * `loader.includeDirs`.
 *
 * Resolved from this file's location, which sits at the same depth in `src/`
 * (ts-jest / @swc/jest) and in `dist/` (compiled): libs/proto/{src,dist}/ →
 * ../../../proto. Deployments that ship `dist/` without the repository layout
 * can point at a copy with the `REALNAME_PROTO_ROOT` environment variable.
 */
export const PROTO_ROOT: string = path.resolve(
  process.env['REALNAME_PROTO_ROOT'] ?? path.join(__dirname, '..', '..', '..', 'proto'),
);

/**
 * Absolute path of a `.proto` file given relative to {@link PROTO_ROOT},
 * e.g. `protoPath('realname/attendance/v1/attendance.proto')`.
 */
export function protoPath(relative: string): string {
  if (path.isAbsolute(relative)) {
    throw new Error(`protoPath expects a path relative to PROTO_ROOT, got "${relative}"`);
  }
  const resolved = path.resolve(PROTO_ROOT, relative);
  if (resolved !== PROTO_ROOT && !resolved.startsWith(PROTO_ROOT + path.sep)) {
    throw new Error(`protoPath "${relative}" escapes PROTO_ROOT`);
  }
  return resolved;
}

/** Proto package of the attendance API v1 (reuses ts-proto's `..._PACKAGE_NAME`). */
export const ATTENDANCE_V1_PACKAGE: 'realname.attendance.v1' = REALNAME_ATTENDANCE_V1_PACKAGE_NAME;

/** `.proto` file of the attendance API v1, relative to {@link PROTO_ROOT}. */
export const ATTENDANCE_V1_PROTO = 'realname/attendance/v1/attendance.proto';

/** Proto package of the worker registry API v1 (reuses ts-proto's `..._PACKAGE_NAME`). */
export const REGISTRY_V1_PACKAGE: 'realname.registry.v1' = REALNAME_REGISTRY_V1_PACKAGE_NAME;

/** `.proto` file of the worker registry API v1, relative to {@link PROTO_ROOT}. */
export const REGISTRY_V1_PROTO = 'realname/registry/v1/registry.proto';

/** Proto package of the reporting API v1 (reuses ts-proto's `..._PACKAGE_NAME`). */
export const REPORTING_V1_PACKAGE: 'realname.reporting.v1' = REALNAME_REPORTING_V1_PACKAGE_NAME;

/** `.proto` file of the reporting deadline board (package realname.reporting.v1), relative to {@link PROTO_ROOT}. */
export const REPORTING_DEADLINES_V1_PROTO = 'realname/reporting/v1/deadlines.proto';

/** `.proto` file of the reporting upload API (package realname.reporting.v1), relative to {@link PROTO_ROOT}. */
export const REPORTING_V1_PROTO = 'realname/reporting/v1/reporting.proto';

/**
 * `@grpc/proto-loader` options whose runtime shapes match the generated types
 * (see the option notes in proto/buf.gen.yaml):
 * - `keepCase: false`  → lowerCamelCase keys (ts-proto `snakeToCamel=true`);
 * - `longs: String`    → 64-bit integers as decimal strings (`forceLong=string`);
 * - `enums` left at its default (Number) → numeric enums (`stringEnums=false`);
 *   `enums: String` would hand handlers 'DIRECTION_IN' where the types say `1`;
 * - `defaults: true`   → scalars always present (`useOptionals=messages`);
 * - `oneofs: true`     → virtual oneof-case fields.
 * `includeDirs` is set so imports between our protos resolve.
 */
export const PROTO_LOADER_OPTIONS: {
  keepCase: boolean;
  longs: StringConstructor;
  defaults: boolean;
  oneofs: boolean;
  includeDirs: string[];
} = {
  keepCase: false,
  longs: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
