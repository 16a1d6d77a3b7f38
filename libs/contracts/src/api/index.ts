// The contracts of the REST APIs, one namespace per service: what the code parses and answers, and
// what the OpenAPI documents are generated from.
export * as AttendanceApi from './attendance-api';
export * as RegistryApi from './registry';
export * as GatewayApi from './gateway';
export * as ReportingApi from './reporting';
