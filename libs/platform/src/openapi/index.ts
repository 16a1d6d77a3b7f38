export * from './api-answers';
export * from './api-parameters';
export * from './method-not-allowed';
export * from './problem-schema';
export * from './zod-json-schema';
