export * from './caller';
export * from './scope';
export * from './claims';
export * from './auth-config';
export * from './token-verifier';
export * from './guards';
export * from './client-credentials';
