export * from './columns';
export * from './keyring';
