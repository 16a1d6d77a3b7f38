export * from './attendance';
export * from './attendance-examples';
export * as GatewayApi from './gateway';
