export * from './config';
export * from './logger';
export * from './problem';
export * from './metrics';
export * from './health';
export * from './grpc';
export * from './platform.module';
export * from './bootstrap';
