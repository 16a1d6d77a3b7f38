export * from './infrastructure';
export * from './service-process';
export * from './tokens';
