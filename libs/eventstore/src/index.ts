export * from './database';
export * from './migrations';
export * from './event-store';
export * from './committed-poller';
export * from './kafka';
export * from './outbox-relay';
export * from './idempotent-consumer';
export * from './decider';
