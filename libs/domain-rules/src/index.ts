export * from './dates';
export * from './identity/resident-id';
export * from './identity/credit-code';
export * from './identity/phone';
export * from './identity/bank-card';
export * from './code-tables';
export * from './regional-rules';
export * from './entry-check';
