export * from './infrastructure';
export * from './service-process';
