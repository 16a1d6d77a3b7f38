export * from './envelope';
export * from './errors';
export * from './topics';
export * from './events';
export * from './kafka/binding';
export * from './time';
export * from './device-protocol/open-v1-signature';
export * from './device-protocol/open-v1';
