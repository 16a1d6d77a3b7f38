export * from './commands';
export * from './config';
export * from './dlq';
export * from './errors';
export * from './key-rotation';
export * from './outbox-status';
export * from './projections';
export * from './table';
