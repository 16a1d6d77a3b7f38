export * from './open-protocol-client';
export * from './device-buffer';
export * from './site-simulator';
export * from './fleet';
export { parseArgs, USAGE } from './cli-args';
export type { CliArgs, ParsedArgs } from './cli-args';
export type { OpenV1Punch, OpenV1PunchResult, OpenV1UploadReply } from '@realname/contracts';
