export * from './attendance';
export * from './attendance-examples';
